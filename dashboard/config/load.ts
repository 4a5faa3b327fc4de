/**
 * Loads the dashboard's config: YAML or JSON file, then environment overrides, then validation.
 * Overrides: `TG_DASH__MQTT__PASSWORD=...` sets `mqtt.password`, `TG_DASH__session__idleMinutes=30`
 * sets `session.idleMinutes` (segments separated by "__", matched to keys without regard to case or
 * "_", values parsed as JSON when they parse). Relative paths are relative to the config file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DashboardConfig, type Webhook } from './schema.ts';
import { applyEnvOverrides } from '../../protocols/config/env-overrides.ts';

export const ENV_PREFIX = 'TG_DASH__';

export interface ConfigIssue {
  /** Key path, e.g. `session.idleMinutes` ('' for the whole file). */
  path: string;
  message: string;
}

export class ConfigError extends Error {
  readonly code = 'TG_CONFIG_INVALID';
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(`${file}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

type Json = Record<string, unknown>;

export function loadDashboardConfig(file: string, env: NodeJS.ProcessEnv = process.env): DashboardConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [
      { path: '', message: `cannot read file: ${(e as NodeJS.ErrnoException).code ?? e}` },
    ]);
  }
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError(file, [
      { path: '', message: `not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message}` },
    ]);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError(file, [{ path: '', message: 'expected a mapping of keys' }]);
  const cfg = parseDashboardConfig(applyEnvOverrides(raw as Json, env, ENV_PREFIX), file);
  // Relative paths in a config file are relative to that file, not to wherever the dashboard started.
  return checkFiles(resolvePaths(cfg, dirname(resolve(file))), file);
}

/** Validates an already loaded object (tests, site/site.ts). Paths are taken as they are. */
export function parseDashboardConfig(raw: unknown, source = 'config'): DashboardConfig {
  const r = DashboardConfig.safeParse(raw);
  if (!r.success)
    throw new ConfigError(
      source,
      r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  return r.data;
}

/** Reads the MQTT password file into `mqtt.password` and checks the other files exist. */
export function checkFiles(cfg: DashboardConfig, source = 'config'): DashboardConfig {
  const out = structuredClone(cfg);
  if (out.mqtt.passwordFile && out.mqtt.password === undefined) {
    try {
      out.mqtt.password = readFileSync(out.mqtt.passwordFile, 'utf8').trim();
    } catch (e) {
      throw new ConfigError(source, [
        { path: 'mqtt.passwordFile', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? e}` },
      ]);
    }
  }
  if (out.http.metricsTokenFile && out.http.metricsToken === undefined) {
    let token: string;
    try {
      token = readFileSync(out.http.metricsTokenFile, 'utf8').trim();
    } catch (e) {
      throw new ConfigError(source, [
        { path: 'http.metricsTokenFile', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? e}` },
      ]);
    }
    if (token.length < 16)
      throw new ConfigError(source, [
        { path: 'http.metricsTokenFile', message: 'token of at least 16 characters' },
      ]);
    out.http.metricsToken = token;
  }
  if (out.mqtt.caFile !== undefined && !existsSync(out.mqtt.caFile))
    throw new ConfigError(source, [{ path: 'mqtt.caFile', message: `no such file: ${out.mqtt.caFile}` }]);
  return out;
}

function resolvePaths(cfg: DashboardConfig, base: string): DashboardConfig {
  const abs = (p: string) => (isAbsolute(p) ? p : join(base, p));
  const opt = (p: string | undefined) => (p === undefined ? undefined : abs(p));
  const hook = (w: Webhook): Webhook => (w.secretFile ? { ...w, secretFile: abs(w.secretFile) } : w);
  const mqtt = { ...cfg.mqtt };
  if (mqtt.passwordFile) mqtt.passwordFile = abs(mqtt.passwordFile);
  if (mqtt.caFile) mqtt.caFile = abs(mqtt.caFile);
  const readings =
    cfg.readings.kind === 'sqlite'
      ? { ...cfg.readings, path: abs(cfg.readings.path) }
      : { ...cfg.readings, passwordFile: opt(cfg.readings.passwordFile) };
  return {
    ...cfg,
    http: { ...cfg.http, metricsTokenFile: opt(cfg.http.metricsTokenFile) },
    dataDir: abs(cfg.dataDir),
    mqtt,
    readings,
    alerts: { ...cfg.alerts, webhooks: cfg.alerts.webhooks.map(hook) },
    reports: { ...cfg.reports, webhooks: cfg.reports.webhooks.map(hook) },
  };
}
