/**
 * Every route declares its answers (issue 21 item 7). The routes are the ones the production app
 * registered (createDashboard, with the reports plugin: its onRoute hook lists them), so a new route
 * without a response schema fails here as soon as it exists; /openapi.json must say the same. And
 * serialising through a schema never drops a field: a schema that lags behind what its handler
 * returns answers 500 TG_DASH_RESPONSE_SCHEMA instead of quietly sending less.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDashboard, type Dashboard } from '../../dashboard/dashboard.ts';
import { silentLogger } from '../../dashboard/log.ts';
import { droppedFields } from '../../dashboard/server/serializer.ts';
import { FAST_SCRYPT, tempDir, testConfig } from './fixture.ts';

const success = (statuses: string[]) => statuses.filter((s) => /^2(\d\d|xx)$/.test(s));

/** A route whose schema forgets a field its handler returns, and one that names it. */
const drift: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const Narrow = z.object({ id: z.string() });
  const Full = z.object({ id: z.string(), origin: z.string(), nested: z.object({ a: z.number() }) });
  const body = () => ({ id: 'c1', origin: 'wire', nested: { a: 1 } });
  app.get(
    '/test/narrow',
    { config: { roles: 'public' }, schema: { response: { 200: Narrow } } },
    async () => body() as z.infer<typeof Narrow>,
  );
  app.get(
    '/test/nested',
    {
      config: { roles: 'public' },
      schema: { response: { 200: z.object({ id: z.string(), origin: z.string(), nested: z.object({}) }) } },
    },
    async () => body() as never,
  );
  app.get('/test/full', { config: { roles: 'public' }, schema: { response: { 200: Full } } }, async () =>
    body(),
  );
};

let t: Dashboard;
beforeAll(async () => {
  t = await createDashboard(testConfig(tempDir()), {
    log: silentLogger(),
    scrypt: FAST_SCRYPT,
    plugins: [drift],
  });
});
afterAll(async () => {
  await t.close();
});

describe('response schemas', () => {
  it('every registered route declares a success answer, and the one error shape for 4xx and 5xx', () => {
    const listed = t.app.routeResponses.map((r) => `${r.method} ${r.url}`).sort();
    expect(listed).toEqual(t.app.declaredRoutes.map((r) => `${r.method} ${r.url}`).sort());
    expect(listed.length).toBeGreaterThan(50);
    const without = t.app.routeResponses
      .filter((r) => success(r.statuses).length === 0)
      .map((r) => `${r.method} ${r.url}`);
    expect(without).toEqual([]);
  });

  it('/openapi.json documents a success answer and the error shape for every route it lists', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(r.statusCode).toBe(200);
    const doc = r.json() as {
      paths: Record<string, Record<string, { responses?: Record<string, { content?: object }> }>>;
    };
    const problems: string[] = [];
    let operations = 0;
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        operations += 1;
        const codes = Object.keys(op.responses ?? {});
        if (success(codes).length === 0) problems.push(`${method} ${path}: no 2xx`);
        const err = op.responses?.['4XX'] ?? op.responses?.['4xx'];
        const schema = JSON.stringify(err?.content ?? {});
        if (!schema.includes('"code"') || !schema.includes('"message"'))
          problems.push(`${method} ${path}: no error shape`);
      }
    expect(problems).toEqual([]);
    // Only the pages, their assets and the document itself are left out of it.
    const hidden = t.app.declaredRoutes.length - operations;
    expect(hidden).toBe(3); // GET /, GET /assets/:file, GET /openapi.json
  });

  it('a field the schema does not name is a 500 naming it, never a quiet drop', async () => {
    const narrow = await t.app.inject({ method: 'GET', url: '/test/narrow' });
    expect(narrow.statusCode).toBe(500);
    expect(narrow.json()).toMatchObject({ code: 'TG_DASH_RESPONSE_SCHEMA' });
    expect(narrow.json().message).toContain('origin');
    const nested = await t.app.inject({ method: 'GET', url: '/test/nested' });
    expect(nested.statusCode).toBe(500);
    expect(nested.json().message).toContain('nested.a');
    const full = await t.app.inject({ method: 'GET', url: '/test/full' });
    expect(full.statusCode).toBe(200);
    expect(full.json()).toEqual({ id: 'c1', origin: 'wire', nested: { a: 1 } });
  });

  it('droppedFields: undefined values are not fields; arrays and nesting are walked', () => {
    expect(droppedFields({ a: 1, b: undefined }, { a: 1 })).toEqual([]);
    expect(droppedFields([{ a: 1, b: 2 }], [{ a: 1 }])).toEqual(['[0].b']);
    expect(droppedFields({ at: new Date(0) }, { at: '1970-01-01T00:00:00.000Z' })).toEqual([]);
  });
});
