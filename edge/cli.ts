/**
 * `npm run edge -- --config FILE`: runs one gate until SIGINT/SIGTERM.
 * Exit codes: 0 clean stop, 2 bad configuration or arguments (nothing started), 1 failure at run time.
 */
import { parseArgs } from 'node:util';
import { describeConfigError } from '../kernel/config.ts';
import { ConfigError, loadEdgeConfig } from './config/load.ts';
import { startEdge } from './daemon.ts';

const HELP = `ThermoGate edge daemon: one process per gate.

Usage: npm run edge -- --config FILE [--check]

  --config FILE   gate configuration, YAML or JSON (see examples/gate.yaml)
  --check         validate the configuration and exit (0 valid, 2 invalid)
  --help          this text

Environment overrides: TG_EDGE__<KEY>__<SUBKEY>=value (e.g. TG_EDGE__MQTT__PASSWORD=...).
Logs: structured JSON (pino) on stderr; LOG_LEVEL or the config's logLevel sets the level.
`;

async function main(): Promise<number> {
  let args: { values: { config?: string; check?: boolean; help?: boolean } };
  try {
    args = parseArgs({
      options: {
        config: { type: 'string' },
        check: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!args.values.config) {
    process.stderr.write(`--config is required\n\n${HELP}`);
    return 2;
  }
  let cfg: ReturnType<typeof loadEdgeConfig>;
  try {
    cfg = loadEdgeConfig(args.values.config);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(describeConfigError(e));
    return 2;
  }
  if (args.values.check) {
    process.stdout.write(`${args.values.config}: valid (site ${cfg.siteId}, gate ${cfg.gateId})\n`);
    return 0;
  }
  let edge: Awaited<ReturnType<typeof startEdge>>;
  try {
    edge = await startEdge(cfg, { configPath: args.values.config });
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'TG_EDGE_START_FAILED';
    process.stderr.write(`${code}: ${(e as Error).message}\n`);
    return code.startsWith('TG_CONFIG') ? 2 : 1;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await edge.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`TG_EDGE_FATAL: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
