/** A pino logger whose JSON lines land in an array, for tests that assert what was logged. */
import { Writable } from 'node:stream';
import pino from 'pino';

export interface Captured {
  level: number;
  msg: string;
  code?: string;
  [k: string]: unknown;
}

export function captureLogger(): { log: pino.Logger; lines: Captured[] } {
  const lines: Captured[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Captured);
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

export const WARN = 40;
