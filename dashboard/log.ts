/** Structured logs (pino) to stderr, so stdout stays free for what the CLI prints for people. */
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination(2));
}

/** For tests and embedders that want no output. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
