/**
 * Loads the hub's config with the kernel's loader (kernel/config.ts): YAML or JSON file, environment
 * overrides, validation; relative paths are relative to the config file.
 * Overrides: `TG_HUB__LIMITS__MAX_PAYLOAD_BYTES=131072` sets `limits.maxPayloadBytes` (segments
 * separated by "__", matched to keys without regard to case or "_", values parsed as JSON when they parse).
 */
import { join } from 'node:path';
import { ConfigError, type ConfigSpec, loadConfig, parseConfig } from '../../kernel/config.ts';
import { HubErrorCode } from '../errors.ts';
import { HubConfig } from './schema.ts';

export { ConfigError };

export const ENV_PREFIX = 'TG_HUB__';

const SPEC: ConfigSpec<typeof HubConfig> = {
  schema: HubConfig,
  envPrefix: ENV_PREFIX,
  // The hub's config errors keep their code (scripts match on it); the shape is every program's.
  code: HubErrorCode.CONFIG_INVALID,
  paths: [
    'credentialsFile',
    'persistenceDir',
    'accessListFile',
    'dashboardConfigFile',
    'mqtt.tls.certFile',
    'mqtt.tls.keyFile',
    'opcua.certificateFolder',
    'opcua.users.*.passwordFile',
  ],
};

/** The hub's config from its file (frozen); a ConfigError with code TG_HUB_CONFIG_INVALID if bad. */
export function loadHubConfig(file: string, env: NodeJS.ProcessEnv = process.env): HubConfig {
  return loadConfig(SPEC, file, env);
}

/** A hub config built in code (tests, the demo): paths are taken as they are (frozen). */
export function parseHubConfig(raw: unknown, source = 'config'): HubConfig {
  return parseConfig(SPEC, raw, source);
}

/** The access list file defaults to one in the persistence folder. */
export function accessListPath(cfg: HubConfig): string {
  return cfg.accessListFile ?? join(cfg.persistenceDir, 'access-list.json');
}
