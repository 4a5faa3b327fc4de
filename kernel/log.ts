/**
 * Structured logs (pino) to stderr, so stdout stays free for what a command prints for people. One
 * factory for the edge, the hub and the dashboard (each had its own identical copy); each package's
 * `log.ts` re-exports it, so a module imports its logger from its own package as before.
 */
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination(2));
}

/** For tests and embedders that want no output. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
