/**
 * Loads a gate's config with the kernel's loader (kernel/config.ts): YAML or JSON file, then
 * environment overrides, then validation; relative paths are relative to the config file.
 * Overrides: `TG_EDGE__MQTT__PASSWORD=...` sets `mqtt.password` (segments separated by "__",
 * matched to keys without regard to case or "_", values parsed as JSON when they parse).
 */
import { existsSync } from 'node:fs';
import {
  ConfigError,
  type ConfigIssue,
  type ConfigSpec,
  loadConfig,
  parseConfig,
  readSecretFile,
} from '../../kernel/config.ts';
import { EdgeConfig } from './schema.ts';

export { ConfigError, type ConfigIssue };

export const ENV_PREFIX = 'TG_EDGE__';

const SPEC: ConfigSpec<typeof EdgeConfig> = {
  schema: EdgeConfig,
  envPrefix: ENV_PREFIX,
  paths: [
    'dataDir',
    'accessListFile',
    'mqtt.passwordFile',
    'mqtt.caFile',
    'terminal.passwordFile',
    'storage.sink.usernameFile',
    'storage.sink.passwordFile',
    'storage.sink.path',
  ],
  // Secrets come from files named in the config (or the environment), never from the file itself.
  finish(cfg, fail) {
    if (cfg.mqtt.passwordFile && cfg.mqtt.password === undefined)
      cfg.mqtt.password = readSecretFile(cfg.mqtt.passwordFile, 'mqtt.passwordFile', fail);
    const sink = cfg.storage.sink;
    if (sink.kind === 'influx') {
      if (sink.usernameFile !== undefined && sink.username === undefined)
        sink.username = readSecretFile(sink.usernameFile, 'storage.sink.usernameFile', fail);
      if (sink.passwordFile !== undefined && sink.password === undefined)
        sink.password = readSecretFile(sink.passwordFile, 'storage.sink.passwordFile', fail);
    }
    const t = cfg.terminal;
    if (t.protocol === 'hik-isapi' && t.password === undefined) {
      t.password =
        t.passwordFile === undefined
          ? fail('terminal.passwordFile', 'required for hik-isapi (or TG_EDGE__TERMINAL__PASSWORD)')
          : readSecretFile(t.passwordFile, 'terminal.passwordFile', fail);
    }
    if (cfg.mqtt.caFile !== undefined && !existsSync(cfg.mqtt.caFile))
      fail('mqtt.caFile', `no such file: ${cfg.mqtt.caFile}`);
  },
};

/** A gate's config from its file (frozen). */
export function loadEdgeConfig(file: string, env: NodeJS.ProcessEnv = process.env): EdgeConfig {
  return loadConfig(SPEC, file, env);
}

/** A gate's config built in code (tests, benchmarks): paths are taken as they are (frozen). */
export function parseEdgeConfig(raw: unknown, source = 'config'): EdgeConfig {
  return parseConfig(SPEC, raw, source);
}
