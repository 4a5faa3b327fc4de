/**
 * The shipped edge bundle for tests: built by deploy/build-edge.ts into a temp install tree laid
 * out like a gate's /opt/thermogate (dist/edge.mjs beside node_modules, a link to the repository's;
 * no TypeScript sources), so tests never race with a user's dist/ and what runs is the bundle alone.
 */
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildEdge } from '../../deploy/build-edge.ts';
import { removeOnExit } from '../harness/proc.ts';
import { ROOT } from './paths.ts';

export interface ShippedEdge {
  /** Stands for /opt/thermogate. */
  installDir: string;
  /** installDir/dist/edge.mjs */
  bundle: string;
}

export async function buildShippedEdge(): Promise<ShippedEdge> {
  const installDir = mkdtempSync(join(tmpdir(), 'tg-edge-install-'));
  // rmSync removes the link, never what it points to.
  removeOnExit(installDir);
  symlinkSync(join(ROOT, 'node_modules'), join(installDir, 'node_modules'), 'dir');
  const { outfile } = await buildEdge({ outdir: join(installDir, 'dist') });
  return { installDir, bundle: outfile };
}
