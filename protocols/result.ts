/**
 * Parsers in protocols/ never throw on bad input: they return a Result so the caller decides
 * whether to count, log or reject. Codes are stable strings (see errors.ts) that logs and tests key on.
 */
import type { ProtocolError } from './errors.ts';

export type Result<T> = { ok: true; value: T } | { ok: false; error: ProtocolError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(error: ProtocolError): Result<T> => ({ ok: false, error });
