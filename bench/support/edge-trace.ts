/**
 * Where an edge host's event loop goes, for bench/latency.ts `--trace` / `--profile DIR` (bench
 * only, never loaded by a gate). `--trace` times the synchronous work the profile named as
 * candidates by wrapping the methods in the process (each call's own duration, blocking the loop
 * for every gate of the process): the outbox's commit of a reading (with its fsync), its ack (and
 * the PRAGMA switch around it), the forwarder's peek and the sink's synchronous part of a write,
 * and the persisting of a list copy. `--profile` takes a V8 CPU profile of the measured window
 * only (node:inspector), without the start-up that `node --cpu-prof` would mix in.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { VersionedCopy } from '../../edge/core/versioned-copy.ts';
import { InfluxSink } from '../../edge/storage/influx-sink.ts';
import { Outbox } from '../../edge/storage/outbox.ts';

interface Timed {
  h: RecordableHistogram;
  totalNs: number;
}
const timed = new Map<string, Timed>();
let since = performance.now();

function time(name: string, proto: object, method: string): void {
  const p = proto as Record<string, (...a: unknown[]) => unknown>;
  const orig = p[method];
  if (typeof orig !== 'function') return; // not in this version of the edge
  const t: Timed = { h: createHistogram(), totalNs: 0 };
  timed.set(name, t);
  p[method] = function (this: unknown, ...a: unknown[]) {
    const t0 = process.hrtime.bigint();
    try {
      return orig.apply(this, a);
    } finally {
      const ns = Number(process.hrtime.bigint() - t0);
      t.h.record(Math.max(1, ns));
      t.totalNs += ns;
    }
  };
}

/** The same for an async method: the time until its promise settles (the loop is free meanwhile). */
function timeAsync(name: string, proto: object, method: string): void {
  const p = proto as Record<string, (...a: unknown[]) => unknown>;
  const orig = p[method];
  if (typeof orig !== 'function') return;
  const t: Timed = { h: createHistogram(), totalNs: 0 };
  timed.set(name, t);
  p[method] = function (this: unknown, ...a: unknown[]) {
    const t0 = process.hrtime.bigint();
    const done = () => {
      const ns = Number(process.hrtime.bigint() - t0);
      t.h.record(Math.max(1, ns));
      t.totalNs += ns;
    };
    const r = orig.apply(this, a) as Promise<unknown>;
    r.then(done, done);
    return r;
  };
}

export function installTrace(): void {
  time('outbox commit of a reading (appendOnce)', Outbox.prototype, 'appendOnce');
  time('outbox ack (withoutFsync + delete tx)', Outbox.prototype, 'ack');
  time('  of which PRAGMA synchronous switches', Database.prototype, 'pragma');
  time('forwarder peek (peekAfter)', Outbox.prototype, 'peekAfter');
  time('influx sink write, synchronous part', InfluxSink.prototype, 'write');
  time(
    'list copy written whole on the loop (VersionedCopy.persist: a snapshot)',
    VersionedCopy.prototype,
    'persist',
  );
  time('list change appended to the journal (VersionedCopy.journal)', VersionedCopy.prototype, 'journal');
  time('  list copy body built (JSON, SHA-256; any whole write)', VersionedCopy.prototype, 'persistable');
  timeAsync(
    'list copy compacted off the loop (not blocking it, nothing waits for it)',
    VersionedCopy.prototype,
    'compactLoop',
  );
}

export function resetTrace(): void {
  for (const t of timed.values()) {
    t.h.reset();
    t.totalNs = 0;
  }
  since = performance.now();
}

export function traceReport(): string {
  const s = (performance.now() - since) / 1000;
  const ms = (ns: number) => (ns / 1e6).toFixed(2);
  return [...timed]
    .map(
      ([name, t]) =>
        `trace ${name}: ${(t.h.count / s).toFixed(1)}/s, p50 ${ms(t.h.percentile(50))} p99 ${ms(t.h.percentile(99))} max ${ms(t.h.max)} ms, ${((t.totalNs / 1e9 / s) * 100).toFixed(1)} % of the loop`,
    )
    .join('\n');
}

let session: Session | undefined;
export async function startProfile(): Promise<void> {
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
}

export async function stopProfile(dir: string): Promise<void> {
  if (!session) return;
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(join(dir, `edge-host-${process.pid}.cpuprofile`), JSON.stringify(profile));
  session.disconnect();
  session = undefined;
}
