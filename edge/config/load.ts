/**
 * Loads a gate's config: YAML or JSON file, then environment overrides, then validation.
 * Overrides: `TG_EDGE__MQTT__PASSWORD=...` sets `mqtt.password` (segments separated by "__",
 * matched to keys without regard to case or "_", values parsed as JSON when they parse).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { EdgeConfig } from './schema.ts';
import { applyEnvOverrides } from '../../protocols/config/env-overrides.ts';

export const ENV_PREFIX = 'TG_EDGE__';

export interface ConfigIssue {
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

export function loadEdgeConfig(file: string, env: NodeJS.ProcessEnv = process.env): EdgeConfig {
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
  return parseEdgeConfig(applyEnvOverrides(raw as Json, env, ENV_PREFIX), file);
}

export function parseEdgeConfig(raw: unknown, source = 'config'): EdgeConfig {
  const r = EdgeConfig.safeParse(raw);
  if (!r.success)
    throw new ConfigError(
      source,
      r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  const cfg = r.data;
  if (cfg.mqtt.passwordFile && cfg.mqtt.password === undefined) {
    try {
      cfg.mqtt.password = readFileSync(cfg.mqtt.passwordFile, 'utf8').trim();
    } catch (e) {
      throw new ConfigError(source, [
        { path: 'mqtt.passwordFile', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? e}` },
      ]);
    }
  }
  const sink = cfg.storage.sink;
  if (sink.kind === 'influx') {
    for (const [key, file] of [
      ['username', sink.usernameFile],
      ['password', sink.passwordFile],
    ] as const) {
      if (file === undefined || sink[key] !== undefined) continue;
      try {
        sink[key] = readFileSync(file, 'utf8').trim();
      } catch (e) {
        throw new ConfigError(source, [
          {
            path: `storage.sink.${key}File`,
            message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? e}`,
          },
        ]);
      }
    }
  }
  const t = cfg.terminal;
  if (t.protocol === 'hik-isapi' && t.password === undefined) {
    if (t.passwordFile === undefined)
      throw new ConfigError(source, [
        { path: 'terminal.passwordFile', message: 'required for hik-isapi (or TG_EDGE__TERMINAL__PASSWORD)' },
      ]);
    try {
      t.password = readFileSync(t.passwordFile, 'utf8').trim();
    } catch (e) {
      throw new ConfigError(source, [
        { path: 'terminal.passwordFile', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? e}` },
      ]);
    }
  }
  if (cfg.mqtt.caFile !== undefined && !existsSync(cfg.mqtt.caFile))
    throw new ConfigError(source, [{ path: 'mqtt.caFile', message: `no such file: ${cfg.mqtt.caFile}` }]);
  return cfg;
}
