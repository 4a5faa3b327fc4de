import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, webRoutes } from './index.ts';

const app = Fastify();
const roles: Record<string, unknown> = {};
app.addHook('onRoute', (r) => {
  roles[`${r.method} ${r.url}`] = (r.config as { roles?: unknown } | undefined)?.roles;
});

beforeAll(async () => {
  await app.register(webRoutes());
  await app.ready();
}, 60_000);
afterAll(() => app.close());

describe('the pages', () => {
  it('declare every route public (the pages ask /api/me themselves)', () => {
    expect(Object.keys(roles).length).toBeGreaterThan(0);
    for (const [route, r] of Object.entries(roles)) expect(r, route).toBe('public');
  });

  it('serve the shell with a strict CSP and no inline script or style', async () => {
    const r = await app.inject('/');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/html');
    expect(r.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe');
    // Every <script> has a src; no <style> element, no style attribute.
    expect(r.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(r.body).not.toMatch(/<style|style="/);
  });

  it('serve the bundle, its CSS and uPlot CSS that the shell links to', async () => {
    const shell = (await app.inject('/')).body;
    const links = [...shell.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
    expect(links.some((l) => l.endsWith('.js'))).toBe(true);
    expect(links).toContain('/assets/uPlot.min.css');
    for (const l of links) {
      const r = await app.inject(l);
      expect(r.statusCode, l).toBe(200);
      expect(r.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(r.body.length, l).toBeGreaterThan(50);
    }
    const js = links.find((l) => l.endsWith('.js')) as string;
    const r = await app.inject(js);
    expect(r.headers['content-type']).toContain('javascript');
    expect(r.headers['cache-control']).toContain('immutable');
  });

  it('keep uPlot out of the board’s entry script (loaded with the HR chart only)', async () => {
    const shell = (await app.inject('/')).body;
    const js = /src="(\/assets\/app-[^"]+\.js)"/.exec(shell)?.[1] as string;
    const entry = (await app.inject(js)).body;
    expect(entry).not.toContain('uplot');
    expect(entry.length).toBeLessThan(120_000);
  });

  it('answer 404 with a code for an unknown asset', async () => {
    const r = await app.inject('/assets/nope.js');
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({ code: 'TG_DASH_NOT_FOUND' });
  });
});
