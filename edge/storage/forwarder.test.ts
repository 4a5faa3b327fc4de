import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeSink } from '../../test/storage/fake-sink.ts';
import { newReading } from '../../test/storage/records.ts';
import { waitFor } from '../../test/harness/wait.ts';
import { Forwarder, type ForwarderOptions, type LinkEvent, type QuarantineEvent } from './forwarder.ts';
import { Outbox } from './outbox.ts';

// Real timers with short delays: the forwarder's work is async I/O, which a fake clock cannot step.
const FAST: Partial<ForwarderOptions> = {
  batchSize: 10,
  lingerMs: 30,
  writeTimeoutMs: 500,
  backoffMinMs: 20,
  backoffMaxMs: 80,
  probeIntervalMs: 10,
};

describe('Forwarder', () => {
  let dir: string;
  let outbox: Outbox;
  let sink: FakeSink;
  let fwd: Forwarder;
  const start = (opts: Partial<ForwarderOptions> = {}) => {
    fwd = new Forwarder(outbox, sink, { ...FAST, ...opts });
    fwd.start();
    return fwd;
  };
  const record = (n: number) => {
    const out = [];
    for (let i = 0; i < n; i++) {
      out.push(outbox.append(newReading()));
      fwd.notify();
    }
    return out;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tg-fwd-'));
    outbox = Outbox.open({ path: join(dir, 'outbox.sqlite'), capacity: 10_000 });
    sink = new FakeSink();
  });
  afterEach(async () => {
    await fwd?.stop();
    outbox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends full batches at once and a partial batch after lingerMs', async () => {
    start({ lingerMs: 150 });
    record(25);
    await waitFor(() => sink.stored.size === 25, { what: 'all 25 forwarded', timeoutMs: 2000 });
    expect(sink.batches).toEqual([10, 10, 5]);
    sink.batches.length = 0;
    const t0 = Date.now();
    record(3);
    await new Promise((r) => setTimeout(r, 50));
    expect(sink.batches).toEqual([]); // lingering for companions
    await waitFor(() => sink.stored.size === 28, { what: 'partial batch', timeoutMs: 2000 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(outbox.depth()).toBe(0);
    expect(fwd.stats()).toMatchObject({ forwarded: 28, lastError: null, linkUp: true, state: 'idle' });
  });

  it('drains a backlog found at start without waiting', async () => {
    for (let i = 0; i < 35; i++) outbox.append(newReading());
    start({ lingerMs: 60_000 });
    await waitFor(() => outbox.depth() === 0, { what: 'backlog drained', timeoutMs: 2000 });
    expect(sink.batches).toEqual([10, 10, 10, 5]);
  });

  it('keeps readings while the sink is down and drains everything once a ping says it is back', async () => {
    const links: LinkEvent[] = [];
    start({ backoffMinMs: 60_000, backoffMaxMs: 60_000 }); // only the probe can end this backoff
    fwd.on('link', (e) => links.push(e));
    sink.down = true;
    record(5);
    await waitFor(() => fwd.stats().state === 'backoff', { what: 'backoff', timeoutMs: 2000 });
    record(40);
    expect(outbox.depth()).toBe(45);
    expect(fwd.stats()).toMatchObject({ lastError: 'TG_STORE_UNREACHABLE', linkUp: false, forwarded: 0 });
    sink.down = false;
    await waitFor(() => outbox.depth() === 0, { what: 'drained after recovery', timeoutMs: 2000 });
    expect(sink.stored.size).toBe(45);
    expect(links.map((l) => [l.up, l.code])).toEqual([
      [false, 'TG_STORE_UNREACHABLE'],
      [true, null],
    ]);
    expect(fwd.stats()).toMatchObject({ lastError: null, linkUp: true, failures: 0, forwarded: 45 });
  });

  it('without a ping it retries on its backoff timer', async () => {
    sink.ping = undefined;
    start();
    sink.down = true;
    record(3);
    await waitFor(() => sink.writes + sink.inits >= 3, { what: 'retries', timeoutMs: 2000 });
    sink.down = false;
    await waitFor(() => outbox.depth() === 0, { what: 'drained', timeoutMs: 2000 });
    expect(sink.stored.size).toBe(3);
  });

  it('acknowledges the good readings of a batch and quarantines the ones refused for good', async () => {
    const events: QuarantineEvent[] = [];
    start();
    fwd.on('quarantined', (e) => events.push(e));
    const placeholder = outbox.append(newReading());
    const poisonId = `site-a:gate-1:${placeholder.seq + 2}`;
    sink.poison.add(poisonId);
    fwd.notify();
    record(4);
    await waitFor(() => outbox.depth() === 0, { what: 'drained', timeoutMs: 2000 });
    expect(sink.stored.size).toBe(4);
    expect(sink.stored.has(poisonId)).toBe(false);
    expect(outbox.quarantined()).toBe(1);
    expect(events[0]?.rejected).toEqual([{ id: poisonId, code: 'TG_STORE_REJECTED', detail: 'poison' }]);
    expect(fwd.stats()).toMatchObject({ forwarded: 4, lastError: null });
  });

  it('counts a hanging write as failed (TG_STORE_TIMEOUT) and writes again later', async () => {
    let release: () => void = () => {};
    sink.gate = new Promise((r) => {
      release = r;
    });
    start({ writeTimeoutMs: 50 });
    record(2);
    await waitFor(() => fwd.stats().lastError === 'TG_STORE_TIMEOUT', { what: 'timeout', timeoutMs: 2000 });
    sink.gate = null;
    release();
    await waitFor(() => outbox.depth() === 0, { what: 'drained', timeoutMs: 2000 });
    expect(sink.stored.size).toBe(2);
  });

  it('retries a failed init before writing', async () => {
    sink.down = true;
    start();
    record(1);
    await waitFor(() => sink.inits >= 2, { what: 'init retried', timeoutMs: 2000 });
    sink.down = false;
    await waitFor(() => outbox.depth() === 0, { what: 'drained', timeoutMs: 2000 });
  });

  it('flush() resolves once the outbox is empty and times out with a typed error', async () => {
    start({ lingerMs: 60_000 });
    record(3);
    await fwd.flush(2000);
    expect(sink.stored.size).toBe(3);
    sink.down = true;
    record(1);
    await expect(fwd.flush(100)).rejects.toThrow(/TG_STORE_TIMEOUT.*1 readings still queued/);
  });

  it('stop() waits for the write in flight; nothing is lost or acknowledged twice', async () => {
    let release: () => void = () => {};
    sink.gate = new Promise((r) => {
      release = r;
    });
    start();
    record(10);
    await waitFor(() => sink.writes === 1, { what: 'write in flight' });
    const stopped = fwd.stop();
    release();
    await stopped;
    expect(outbox.depth()).toBe(0);
    expect(fwd.stats().state).toBe('stopped');
  });
});
