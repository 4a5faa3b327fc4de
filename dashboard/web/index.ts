/**
 * The web pages as a fastify plugin: `GET /` (the app's shell) and `GET /assets/*` (scripts, CSS,
 * icon), all public (the pages call /api/me and show the login form). The bundle is built once per
 * process, at registration, and kept in memory.
 *
 *   await app.register(webRoutes());
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { Text } from '../server/responses.ts';
import { serializerCompiler } from '../server/serializer.ts';
import { type Bundle, buildBundle } from './bundle.ts';

export { WebBundleError } from './bundle.ts';

/**
 * No inline script or style, nothing from elsewhere: a name shown on the board can never run code.
 * `style-src 'self'` still lets scripts set element.style (uPlot does), which is not inline markup.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export interface WebRoutesOptions {
  /** Minify the bundle (default true). */
  minify?: boolean;
}

let shared: Promise<Bundle> | null = null;

/** Not JSON, so not in /openapi.json; declared all the same (every route declares its answers). */
const PAGE = { hide: true, response: { 200: Text('text/html: the app shell') } };
const ASSET = { hide: true, response: { 200: Text('a script, a style sheet or an icon') } };

/** One build per process: every dashboard in a process (tests start several) serves the same pages. */
export function getBundle(opts: WebRoutesOptions = {}): Promise<Bundle> {
  if (opts.minify === false) return buildBundle({ minify: false });
  if (!shared) {
    shared = buildBundle();
    shared.catch(() => {
      shared = null;
    });
  }
  return shared;
}

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cross-origin-opener-policy', 'same-origin');
}

export function shellHtml(bundle: Bundle): string {
  const styles = bundle.entry.styles.map((s) => `<link rel="stylesheet" href="/assets/${s}">`).join('\n');
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark light">
<title>ThermoGate</title>
<link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
${styles}
<script type="module" src="/assets/${bundle.entry.script}"></script>
</head>
<body>
<div id="app"><noscript>ThermoGate needs JavaScript. / 请启用 JavaScript。</noscript></div>
</body>
</html>
`;
}

export function webRoutes(opts: WebRoutesOptions = {}): FastifyPluginAsync {
  return async (app) => {
    // The answers' schemas are zod (whatever app this plugin is mounted on; scoped to it).
    app.setSerializerCompiler(serializerCompiler);
    const bundle = await getBundle(opts);
    const html = shellHtml(bundle);

    app.get('/', { config: { roles: 'public' }, schema: PAGE }, async (_req, reply) =>
      secure(reply).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html),
    );

    app.get<{ Params: { file: string } }>(
      '/assets/:file',
      { config: { roles: 'public' }, schema: ASSET },
      async (req, reply) => {
        const asset = bundle.assets.get(req.params.file);
        if (!asset) {
          return secure(reply)
            .code(404)
            .send({ code: 'TG_DASH_NOT_FOUND', message: `no asset ${req.params.file}` });
        }
        return secure(reply)
          .header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
          .type(asset.contentType)
          .send(asset.body);
      },
    );
  };
}
