/**
 * Builds the pages with esbuild into memory when the server starts (no build step of its own):
 * the app's ES modules (split, so uPlot loads only with the HR chart), its CSS, and uPlot's CSS.
 * File names carry a content hash, so browsers may cache them for good.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { build } from 'esbuild';
import { type CodedErrorOptions, codedErrors } from '../../kernel/errors.ts';

export interface Asset {
  body: Buffer;
  contentType: string;
  /** Hashed names are immutable; the rest is revalidated. */
  immutable: boolean;
}

export interface Bundle {
  /** Keyed by the path under /assets/ ("app-3F2K1.js"). */
  assets: Map<string, Asset>;
  /** The entry script and stylesheets the shell links to. */
  entry: { script: string; styles: string[] };
}

export class WebBundleError extends codedErrors('WebBundleError', { BUILD: 'TG_DASH_WEB_BUILD' }) {
  constructor(message: string, options?: CodedErrorOptions) {
    super('TG_DASH_WEB_BUILD', message, options);
  }
}

const APP_DIR = join(import.meta.dirname, 'app');

function contentType(file: string): string {
  if (file.endsWith('.js')) return 'text/javascript; charset=utf-8';
  if (file.endsWith('.css')) return 'text/css; charset=utf-8';
  if (file.endsWith('.svg')) return 'image/svg+xml';
  if (file.endsWith('.map')) return 'application/json; charset=utf-8';
  return 'application/octet-stream';
}

export async function buildBundle(opts: { minify?: boolean } = {}): Promise<Bundle> {
  let result: Awaited<ReturnType<typeof build>>;
  try {
    result = await build({
      entryPoints: { app: join(APP_DIR, 'main.ts'), 'app-style': join(APP_DIR, 'styles.css') },
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'browser',
      target: ['chrome100', 'firefox100', 'safari15'],
      minify: opts.minify ?? true,
      sourcemap: false,
      write: false,
      outdir: '/assets',
      entryNames: '[name]-[hash]',
      chunkNames: 'chunk-[hash]',
      legalComments: 'none',
      logLevel: 'silent',
    });
  } catch (err) {
    throw new WebBundleError(`the web pages did not build: ${(err as Error).message}`, { cause: err });
  }
  const assets = new Map<string, Asset>();
  let script = '';
  const styles: string[] = [];
  for (const f of result.outputFiles ?? []) {
    const name = basename(f.path);
    assets.set(name, { body: Buffer.from(f.contents), contentType: contentType(name), immutable: true });
    if (/^app-[A-Z0-9]+\.js$/.test(name)) script = name;
    if (/^app-style-[A-Z0-9]+\.css$/.test(name)) styles.push(name);
  }
  const require = createRequire(import.meta.url);
  const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'));
  assets.set('uPlot.min.css', { body: uplotCss, contentType: contentType('x.css'), immutable: false });
  assets.set('icon.svg', { body: Buffer.from(ICON), contentType: contentType('x.svg'), immutable: false });
  if (!script || styles.length === 0)
    throw new WebBundleError('the web build produced no entry script or stylesheet');
  return { assets, entry: { script, styles: ['uPlot.min.css', ...styles] } };
}

/** A thermometer in a gate; served so the browser does not ask for a missing /favicon.ico. */
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#0b5"/><rect x="13" y="4" width="6" height="17" rx="3" fill="#fff"/><circle cx="16" cy="23" r="5" fill="#fff"/><circle cx="16" cy="23" r="3" fill="#d22"/><rect x="15" y="11" width="2" height="11" fill="#d22"/></svg>`;
