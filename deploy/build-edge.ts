/**
 * `npm run build:edge`: the edge daemon as it ships, one ESM file `dist/edge.mjs` (and its source
 * map) bundled by esbuild from edge/cli.ts, run by plain node with EDGE_NODE_FLAGS (the systemd
 * unit, the Dockerfile and bench/footprint.ts all run it that way). Without tsx the daemon needs no
 * module-hooks thread or TypeScript transform at run time, which is most of what kept it above its
 * 80 MB memory target (bench/NOTES.md).
 *
 * The packages stay outside the bundle and are loaded from node_modules next to dist/
 * (`npm ci --omit=dev` installs them), so the file is only usable inside an installed tree:
 * /opt/thermogate/{dist,node_modules}.
 *
 *   npx tsx deploy/build-edge.ts [--outdir DIR]
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');

/** Where `npm run build:edge` writes the bundle; the systemd unit runs /opt/thermogate/dist/edge.mjs. */
export const EDGE_BUNDLE = join(ROOT, 'dist', 'edge.mjs');

/**
 * Node flags the bundle runs with: V8's young generation capped at 1 MB semi-spaces, and no
 * optimising compiler (less code memory; a gate does about one passage per second). --lite-mode
 * also disables WebAssembly, so Node's built-in fetch() (undici's parser is WebAssembly) fails
 * under these flags: the daemon must not use it.
 */
export const EDGE_NODE_FLAGS = ['--max-semi-space-size=1', '--lite-mode'] as const;

const HELP = `Usage: npm run build:edge [-- --outdir DIR]

Bundles the gate daemon (edge/cli.ts) with esbuild into DIR/edge.mjs (default dist/edge.mjs) and
its source map. Packages stay in node_modules (better-sqlite3 and serialport are native). Run it as
the systemd unit does: node ${EDGE_NODE_FLAGS.join(' ')} dist/edge.mjs --config FILE
`;

export interface EdgeBuild {
  /** Absolute path of edge.mjs. */
  outfile: string;
  bytes: number;
}

/** Builds `<outdir>/edge.mjs` and `edge.mjs.map` (default outdir: dist/ of the repository). */
export async function buildEdge(opts: { outdir?: string } = {}): Promise<EdgeBuild> {
  const outfile = opts.outdir ? join(resolve(opts.outdir), 'edge.mjs') : EDGE_BUNDLE;
  await build({
    entryPoints: [join(ROOT, 'edge', 'cli.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Only ThermoGate's own code (edge/, protocols/) goes into the bundle; every package loads from
    // node_modules at run time. The native ones must (better-sqlite3, serialport), onoff is imported
    // only on real GPIO, and bundling the pure-JS ones too (mqtt, pino, zod, influx, yaml) measured
    // ~2 MB more resident memory for nothing gained: a gate needs node_modules anyway.
    packages: 'external',
    // Keep function and class names as written (esbuild renames duplicates across files): pino's
    // error serialiser logs `err.type` from the error's class name.
    keepNames: true,
    sourcemap: true,
    logLevel: 'warning',
  });
  return { outfile, bytes: statSync(outfile).size };
}

async function main(): Promise<void> {
  let values: { outdir?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { outdir: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${HELP}`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const { outfile, bytes } = await buildEdge(values.outdir ? { outdir: values.outdir } : {});
  process.stdout.write(
    `${outfile}: ${(bytes / 1024).toFixed(0)} KiB; run: node ${EDGE_NODE_FLAGS.join(' ')} ${outfile} --config FILE\n`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  main().catch((e) => {
    process.stderr.write(`build:edge failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
