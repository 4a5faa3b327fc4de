/**
 * Response serialisation through each route's zod response schema, refusing to drop fields.
 *
 * fastify-type-provider-zod encodes an answer with its schema, and a `z.object` strips keys it
 * does not name: a field the service adds but the schema forgets would silently never reach the
 * pages (how `CommandView.origin` went missing from the hand-copied web types). This compiler
 * encodes the same way and then checks that every field the handler returned is still there; a
 * dropped one is a 500 TG_DASH_RESPONSE_SCHEMA naming the field's path, so the API and browser
 * tests (and the role matrix, which calls every route) catch a schema that lags behind its service.
 */
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { ResponseSerializationError } from 'fastify-type-provider-zod';
import { type ZodType, z } from 'zod';
import { DashboardError } from './errors.ts';

/** Paths of the fields of `input` (as JSON would carry them) that `output` lacks; at most `max`. */
export function droppedFields(input: unknown, output: unknown, max = 5): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (out.length >= max || a === null || typeof a !== 'object') return;
    if (Array.isArray(a)) {
      if (!Array.isArray(b)) return;
      for (let i = 0; i < a.length && out.length < max; i++) walk(a[i], b[i], `${path}[${i}]`);
      return;
    }
    // A Date, a Buffer or anything else with its own JSON form is a value, not a bag of fields.
    if (typeof (a as { toJSON?: unknown }).toJSON === 'function') return;
    if (b === null || typeof b !== 'object') return;
    for (const [k, v] of Object.entries(a)) {
      if (v === undefined || typeof v === 'function') continue;
      if (!Object.hasOwn(b, k)) out.push(path ? `${path}.${k}` : k);
      else walk(v, (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      if (out.length >= max) return;
    }
  };
  walk(input, output, '');
  return out;
}

export const serializerCompiler: FastifySerializerCompiler<ZodType> =
  ({ schema, method, url }) =>
  (data) => {
    const result = z.safeEncode(schema, data);
    if (!result.success) throw new ResponseSerializationError(method, url, { cause: result.error });
    const dropped = droppedFields(data, result.data);
    if (dropped.length > 0)
      throw new DashboardError(
        'TG_DASH_RESPONSE_SCHEMA',
        500,
        `${method} ${url}: the response schema drops ${dropped.join(', ')}`,
      );
    return JSON.stringify(result.data);
  };
