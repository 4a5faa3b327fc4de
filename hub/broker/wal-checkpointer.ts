/**
 * Checkpoints a WAL-mode SQLite file from a worker thread, so that the broker's thread never does.
 *
 * SQLite's automatic checkpoint runs inside the commit that crosses `wal_autocheckpoint` pages
 * (4 MB), on the thread that commits, and with synchronous=NORMAL it ends with fsyncs. The broker
 * commits every queued QoS 1 message, so at a site's rate (the dashboard's persistent session takes
 * every decision and reading) that was a checkpoint every second or two, each holding the hub's
 * event loop for 100–500 ms on a shared disk: every gate's verdict waited (bench/scale.ts,
 * bench/NOTES.md "Scale"). The owner of the database turns its automatic checkpoint off
 * (`wal_autocheckpoint = 0`) and starts this; the worker runs PASSIVE checkpoints on its own
 * connection (they never block the writer) whenever the WAL has grown. If the worker fails, the
 * owner is told and turns the automatic checkpoint back on.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The worker's code (CommonJS, run with eval: better-sqlite3 is loaded from the path it is given). */
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
let stopped = false;
parentPort.on('message', (m) => {
  if (m === 'stop') { stopped = true; clearInterval(timer); db.close(); parentPort.close(); }
});
const timer = setInterval(() => {
  if (stopped) return;
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (e) { parentPort.postMessage(String(e && e.message || e)); }
}, workerData.everyMs);
`;

export interface WalCheckpointer {
  stop(): Promise<void>;
}

export function startWalCheckpointer(o: {
  path: string;
  /** How often the worker checkpoints (default 500 ms). */
  everyMs?: number;
  /** The worker failed (or could not start): the owner checkpoints again by itself. */
  onFailure: (err: string) => void;
}): WalCheckpointer {
  const module = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { path: o.path, module, everyMs: o.everyMs ?? 500 },
  });
  let stopping = false;
  let failed = false;
  let gone = false;
  const exited = new Promise<void>((r) =>
    worker.once('exit', () => {
      gone = true;
      r();
    }),
  );
  const fail = (err: string) => {
    if (stopping || failed) return;
    failed = true;
    o.onFailure(err);
  };
  worker.on('message', (m: string) => fail(m));
  worker.on('error', (e) => fail(e.message));
  worker.on('exit', (code) => fail(`checkpoint worker exited (${code})`));
  // Never keeps the process alive by itself.
  worker.unref();
  return {
    async stop() {
      if (stopping || gone) return;
      stopping = true;
      // Held while stopping: an unref'd worker let the event loop end before its exit came, so
      // the hub's close() never finished (test/opcua/config.test.ts exited 13, "unsettled
      // top-level await", on a loaded machine).
      worker.ref();
      if (failed) await worker.terminate();
      else worker.postMessage('stop');
      await exited;
    },
  };
}
