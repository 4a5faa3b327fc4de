/** Turns an MQTT payload into a validated value, or a typed error with a readable reason. Never throws. */
import type { z } from 'zod';
import { ProtocolError, ProtocolErrorCode as C } from './errors.ts';
import { fail, ok, type Result } from './result.ts';

export const DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024;

export function parsePayload<S extends z.ZodType>(
  schema: S,
  payload: Uint8Array | string,
  maxBytes = DEFAULT_MAX_PAYLOAD_BYTES,
): Result<z.output<S>> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > maxBytes) return fail(new ProtocolError(C.MSG_TOO_LARGE, `${size} bytes > ${maxBytes}`));
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'));
  } catch (e) {
    return fail(new ProtocolError(C.MSG_NOT_JSON, (e as Error).message));
  }
  const r = schema.safeParse(json);
  if (!r.success) return fail(new ProtocolError(C.MSG_SCHEMA, describeIssues(r.error.issues)));
  return ok(r.data);
}

export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
