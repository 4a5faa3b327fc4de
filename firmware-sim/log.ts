/**
 * Structured logs go to stderr (the kernel's pino factory, kernel/log.ts), so stdout stays free for
 * the CLI's one-line-per-event output.
 * Level: TG_SIM_LOG_LEVEL, else `warn` under vitest (quiet test output) and `info` otherwise.
 */
import { createLogger, type Logger } from '../kernel/log.ts';

export type { Logger };

function defaultLevel(): string {
  if (process.env.TG_SIM_LOG_LEVEL) return process.env.TG_SIM_LOG_LEVEL;
  return process.env.VITEST ? 'warn' : 'info';
}

let root: Logger | undefined;

/** The shared root logger; created on first use so importing a module has no side effect. */
export function rootLogger(): Logger {
  // Sync writes: a CLI that exits on an error must not lose the line that explains it.
  root ??= createLogger('firmware-sim', defaultLevel(), { sync: true });
  return root;
}

/** A child logger for one component, e.g. `childLogger('modbus-ir', { slave: 1 })`. */
export function childLogger(
  component: string,
  bindings: Record<string, unknown> = {},
  parent?: Logger,
): Logger {
  return (parent ?? rootLogger()).child({ component, ...bindings });
}
