/**
 * Loads the hub's config: YAML or JSON file, environment overrides, validation.
 * Overrides: `TG_HUB__LIMITS__MAX_PAYLOAD_BYTES=131072` sets `limits.maxPayloadBytes` (segments
 * separated by "__", matched to keys without regard to case or "_", values parsed as JSON when they parse).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { HubError, HubErrorCode } from '../errors.ts';
import { resolveOpcuaPaths } from '../opcua/config.ts';
import { HubConfig } from './schema.ts';
import { applyEnvOverrides } from '../../protocols/config/env-overrides.ts';

export const ENV_PREFIX = 'TG_HUB__';
type Json = Record<string, unknown>;

const invalid = (source: string, issues: { where: string; reason: string }[]) =>
  new HubError(
    HubErrorCode.CONFIG_INVALID,
    `${source}: ${issues.map((i) => `${i.where || '(root)'}: ${i.reason}`).join('; ')}`,
    issues,
  );

export function loadHubConfig(file: string, env: NodeJS.ProcessEnv = process.env): HubConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw invalid(file, [
      { where: '', reason: `cannot read file: ${(e as NodeJS.ErrnoException).code ?? e}` },
    ]);
  }
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw invalid(file, [
      { where: '', reason: `not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message}` },
    ]);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw invalid(file, [{ where: '', reason: 'expected a mapping of keys' }]);
  const cfg = parseHubConfig(applyEnvOverrides(raw as Json, env, ENV_PREFIX), file);
  // Relative paths in a config file are relative to that file, not to wherever the hub was started.
  return resolvePaths(cfg, dirname(resolve(file)));
}

export function parseHubConfig(raw: unknown, source = 'config'): HubConfig {
  const r = HubConfig.safeParse(raw);
  if (!r.success)
    throw invalid(
      source,
      r.error.issues.map((i) => ({ where: i.path.join('.'), reason: i.message })),
    );
  return r.data;
}

/** The access list file defaults to one in the persistence folder. */
export function accessListPath(cfg: HubConfig): string {
  return cfg.accessListFile ?? join(cfg.persistenceDir, 'access-list.json');
}

function resolvePaths(cfg: HubConfig, base: string): HubConfig {
  const abs = (p: string) => (isAbsolute(p) ? p : join(base, p));
  const out: HubConfig = {
    ...cfg,
    credentialsFile: abs(cfg.credentialsFile),
    persistenceDir: abs(cfg.persistenceDir),
  };
  if (cfg.accessListFile) out.accessListFile = abs(cfg.accessListFile);
  if (cfg.dashboardConfigFile) out.dashboardConfigFile = abs(cfg.dashboardConfigFile);
  if (cfg.opcua) out.opcua = resolveOpcuaPaths(cfg.opcua, abs);
  if (cfg.mqtt.tls)
    out.mqtt = {
      ...cfg.mqtt,
      tls: { ...cfg.mqtt.tls, certFile: abs(cfg.mqtt.tls.certFile), keyFile: abs(cfg.mqtt.tls.keyFile) },
    };
  return out;
}
