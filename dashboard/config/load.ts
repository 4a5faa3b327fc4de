/**
 * Loads the dashboard's config: YAML or JSON file, then environment overrides, then validation.
 * Overrides: `TG_DASH__MQTT__PASSWORD=...` sets `mqtt.password`, `TG_DASH__session__idleMinutes=30`
 * sets `session.idleMinutes` (segments separated by "__", matched to keys without regard to case or
 * "_", values parsed as JSON when they parse). Relative paths are relative to the config file.
 */
import { existsSync } from 'node:fs';
import {
  ConfigError,
  type ConfigIssue,
  type ConfigSpec,
  deepFreeze,
  loadConfig,
  parseConfig,
  readSecretFile,
} from '../../kernel/config.ts';
import { DashboardConfig } from './schema.ts';

export { ConfigError, type ConfigIssue };

export const ENV_PREFIX = 'TG_DASH__';

const SPEC: ConfigSpec<typeof DashboardConfig> = {
  schema: DashboardConfig,
  envPrefix: ENV_PREFIX,
  paths: [
    'dataDir',
    'http.metricsTokenFile',
    'mqtt.passwordFile',
    'mqtt.caFile',
    'readings.path',
    'readings.passwordFile',
    'alerts.webhooks.*.secretFile',
    'reports.webhooks.*.secretFile',
  ],
};

/** The dashboard's config from its file, with its secret files read (frozen). */
export function loadDashboardConfig(file: string, env: NodeJS.ProcessEnv = process.env): DashboardConfig {
  return checkFiles(loadConfig(SPEC, file, env), file);
}

/** Validates an already loaded object (tests, site/site.ts). Paths are taken as they are (frozen). */
export function parseDashboardConfig(raw: unknown, source = 'config'): DashboardConfig {
  return parseConfig(SPEC, raw, source);
}

/** Reads the MQTT password file into `mqtt.password` and checks the other files exist. */
export function checkFiles(cfg: DashboardConfig, source = 'config'): DashboardConfig {
  const out = structuredClone(cfg);
  const fail = (path: string, message: string): never => {
    throw new ConfigError(source, [{ path, message }]);
  };
  if (out.mqtt.passwordFile && out.mqtt.password === undefined)
    out.mqtt.password = readSecretFile(out.mqtt.passwordFile, 'mqtt.passwordFile', fail);
  if (out.http.metricsTokenFile && out.http.metricsToken === undefined) {
    const token = readSecretFile(out.http.metricsTokenFile, 'http.metricsTokenFile', fail);
    if (token.length < 16) fail('http.metricsTokenFile', 'token of at least 16 characters');
    out.http.metricsToken = token;
  }
  if (out.mqtt.caFile !== undefined && !existsSync(out.mqtt.caFile))
    fail('mqtt.caFile', `no such file: ${out.mqtt.caFile}`);
  return deepFreeze(out);
}
