/**
 * The broker's SQLite file is checkpointed by a worker thread (hub/broker/wal-checkpointer.ts), not
 * inside the broker's commits: what is queued reaches the database file while the hub runs, and
 * survives a restart.
 */
import { spawnSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqlitePersistence } from '../../hub/broker/sqlite-persistence.ts';
import { waitFor } from '../harness/wait.ts';
import { tempDir } from './fixture.ts';

const open: SqlitePersistence[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.destroy()));
});

function persistence(path: string): SqlitePersistence {
  const p = new SqlitePersistence({ path });
  open.push(p);
  return p;
}

const packet = (i: number) => ({
  cmd: 'publish',
  topic: 'tg/site-1/gate/gate-a/decision',
  payload: Buffer.alloc(4096, i % 251),
  qos: 1,
  retain: false,
  dup: false,
  brokerId: 'b1',
  brokerCounter: i + 1,
});

describe('broker database checkpoints', () => {
  it('moves what is queued into the database file in the background', async () => {
    const path = join(tempDir(), 'broker.sqlite');
    const p = persistence(path);
    await p.setup({ id: 'b1' });
    // ~8 MB of queued messages: twice SQLite's automatic checkpoint threshold.
    for (let i = 0; i < 2000; i++) await p.outgoingEnqueue({ clientId: 'dash' }, packet(i));
    await waitFor(() => statSync(path).size > 6 * 1024 * 1024, {
      timeoutMs: 10_000,
      intervalMs: 50,
      what: 'the WAL checkpointed into broker.sqlite',
    });
    expect(p.queuedFor('dash')).toBe(2000);
  });

  it('keeps every queued message across a restart', async () => {
    const path = join(tempDir(), 'broker.sqlite');
    const first = new SqlitePersistence({ path });
    await first.setup({ id: 'b1' });
    for (let i = 0; i < 500; i++) await first.outgoingEnqueue({ clientId: 'gate-a' }, packet(i));
    await first.destroy();
    const second = persistence(path);
    await second.setup({ id: 'b2' });
    const queued: unknown[] = [];
    for await (const q of second.outgoingStream({ id: 'gate-a' })) queued.push(q);
    expect(queued).toHaveLength(500);
  });

  it('stop() finishes even when nothing else keeps the process alive (a hub closing at the end)', () => {
    const dir = tempDir();
    const script = join(dir, 'stop.mts');
    writeFileSync(
      script,
      `import { createRequire } from 'node:module';
       const Database = createRequire(${JSON.stringify(join(process.cwd(), 'package.json'))})('better-sqlite3');
       import { startWalCheckpointer } from ${JSON.stringify(join(process.cwd(), 'hub/broker/wal-checkpointer.ts'))};
       const path = ${JSON.stringify(join(dir, 'x.sqlite'))};
       const db = new Database(path); db.pragma('journal_mode = WAL'); db.close();
       const c = startWalCheckpointer({ path, onFailure: (e) => process.stderr.write(e) });
       await c.stop();
       process.stdout.write('stopped');`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 });
    // Exit 13 is Node's "unsettled top-level await": the loop ended before the worker's exit came.
    expect({ status: r.status, out: r.stdout }, r.stderr).toEqual({ status: 0, out: 'stopped' });
  });
});
