/**
 * Real edge daemons for the benchmarks: one JSON config per gate, run by `edge/cli.ts` (what
 * `npm run edge` runs) or several gates per process by bench/support/edge-host.ts. Ready means the
 * gate's retained status says online on the broker.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import mqtt, { type IClientOptions } from 'mqtt';
import type { EdgeConfigInput } from '../../edge/config/schema.ts';
import { spawnTracked, type Tracked, tail } from '../../test/harness/proc.ts';

const ROOT = resolve(import.meta.dirname, '../..');

export function writeEdgeConfig(dir: string, cfg: EdgeConfigInput): string {
  const file = join(dir, `${cfg.gateId}.json`);
  writeFileSync(file, JSON.stringify(cfg, null, 2));
  return file;
}

/** `node --import tsx FILE ...args`, the way `npm run edge` / `npm run hub` start. */
export function spawnTs(file: string, args: string[], nodeArgs: string[] = []): Tracked {
  return spawnTracked(
    process.execPath,
    [...nodeArgs, '--import', import.meta.resolve('tsx'), join(ROOT, file), ...args],
    { cwd: ROOT },
  );
}

/** Resolves once every gate's retained status says online; fails early if a process died. */
export async function waitGatesOnline(
  url: string,
  opts: IClientOptions,
  siteId: string,
  gateIds: readonly string[],
  procs: readonly Tracked[],
  timeoutMs = 60_000,
): Promise<void> {
  const waiting = new Set(gateIds);
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, ...opts });
  try {
    await new Promise<void>((resolveAll, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`gates not online after ${timeoutMs} ms: ${[...waiting].slice(0, 5).join(', ')}`)),
        timeoutMs,
      );
      const died = setInterval(() => {
        const dead = procs.find((p) => !p.alive());
        if (dead) {
          clearTimeout(timer);
          clearInterval(died);
          reject(new Error(`an edge process exited during startup:\n${tail(dead.output())}`));
        }
      }, 200);
      c.on('message', (_t, payload) => {
        try {
          const s = JSON.parse(payload.toString()) as { gateId: string; online: boolean };
          if (s.online) waiting.delete(s.gateId);
        } catch {
          /* not a status */
        }
        if (waiting.size === 0) {
          clearTimeout(timer);
          clearInterval(died);
          resolveAll();
        }
      });
      c.subscribe(`tg/${siteId}/gate/+/status`, { qos: 1 });
    });
  } finally {
    await c.endAsync(true);
  }
}
