/**
 * Structured logs (pino) to stderr, so stdout stays free for what a command prints for people. One
 * factory for the edge, the hub, the dashboard and the simulator (each had its own copy); each
 * package's `log.ts` re-exports it, so a module imports its logger from its own package as before.
 */
import pino from 'pino';

export type Logger = pino.Logger;

export interface LoggerOptions {
  /**
   * Write each line before returning (default false: buffered, flushed on exit). For a CLI that
   * exits on an error: it must not lose the line that explains it.
   */
  sync?: boolean;
}

export function createLogger(
  name: string,
  level: string = process.env.LOG_LEVEL ?? 'info',
  opts: LoggerOptions = {},
): Logger {
  const dest = opts.sync ? pino.destination({ dest: 2, sync: true }) : pino.destination(2);
  return pino({ name, level, base: { pid: process.pid } }, dest);
}

/** For tests and embedders that want no output. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
