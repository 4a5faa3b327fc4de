import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeSink } from '../../test/storage/fake-sink.ts';
import { newReading } from '../../test/storage/records.ts';
import type { FillEvent } from './fill-level.ts';
import { MemoryRecorder } from '../../test/doubles/edge/memory-recorder.ts';
import { createRecorder, type DurableRecorder, type RecorderConfig } from './recorder.ts';

const logger = pino({ level: 'silent' });
const FAST = { lingerMs: 10, backoffMinMs: 20, backoffMaxMs: 50, probeIntervalMs: 10 };

describe('createRecorder', () => {
  let dir: string;
  const open: DurableRecorder[] = [];
  const make = (c: Partial<RecorderConfig>, deps = {}) => {
    const r = createRecorder(
      { outboxPath: join(dir, 'outbox.sqlite'), sink: { kind: 'none' }, forwarder: FAST, ...c },
      { logger, ...deps },
    );
    open.push(r);
    return r;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tg-rec-'));
  });
  afterEach(async () => {
    for (const r of open.splice(0)) await r.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("with sink 'none' keeps readings in the outbox and hands them over once a sink is configured", async () => {
    let rec = make({ sink: { kind: 'none' } });
    const a = rec.record(newReading());
    expect(rec.stats()).toMatchObject({ depth: 1, sink: 'none', forwarded: 0 });
    expect(rec.stats().oldestAgeS).toBeGreaterThanOrEqual(0);
    await expect(rec.flush(100)).rejects.toThrow(/TG_STORE_CONFIG/);
    await rec.close();
    const sink = new FakeSink();
    rec = make({ sink: { kind: 'none' } }, { sink });
    await rec.flush(5000);
    expect([...sink.stored.values()]).toEqual([a]);
  });

  it('re-emits fill levels for the outbox-filling alert, and heartbeat numbers come from stats()', async () => {
    const rec = make({ capacity: 4 });
    const events: FillEvent[] = [];
    rec.on('fill', (e) => events.push(e));
    for (let i = 0; i < 4; i++) rec.record(newReading());
    // 2 of 4 is half full; 4 of 4 crosses 80, 95 and 100 % at once.
    expect(events.map((e) => e.level)).toEqual(['filling', 'full']);
    expect(rec.stats()).toMatchObject({ depth: 4, capacity: 4, level: 'full' });
  });

  it('reports link loss and recovery from the forwarder', async () => {
    const sink = new FakeSink();
    sink.down = true;
    const rec = make({}, { sink });
    const links: boolean[] = [];
    rec.on('link', (e) => links.push(e.up));
    rec.record(newReading());
    await expect(rec.flush(150)).rejects.toThrow(/TG_STORE_TIMEOUT/);
    expect(rec.stats()).toMatchObject({ lastError: 'TG_STORE_UNREACHABLE', linkUp: false, depth: 1 });
    sink.down = false;
    await rec.flush(5000);
    expect(links).toEqual([false, true]);
  });
});

describe('MemoryRecorder', () => {
  it('numbers and validates like the durable recorder', () => {
    const m = new MemoryRecorder();
    const a = m.record(newReading());
    const b = m.record(newReading({ gateId: 'gate-2' }));
    expect([a.seq, b.seq, a.id]).toEqual([0, 0, 'site-a:gate-1:0']);
    expect(m.records).toEqual([a, b]);
    expect(() => m.record(newReading({ temperatureTenths: 99999 }))).toThrow(/TG_OUTBOX_INVALID/);
    expect(m.stats()).toMatchObject({ depth: 0, forwarded: 2 });
  });

  it('can hold readings back to exercise fill alerts and the full policy', () => {
    const m = new MemoryRecorder({ capacity: 2, policy: 'refuse', autoForward: false });
    const levels: string[] = [];
    m.on('fill', (e) => levels.push(e.level));
    m.record(newReading());
    m.record(newReading());
    expect(() => m.record(newReading())).toThrow(/TG_OUTBOX_FULL/);
    expect(m.stats().depth).toBe(2);
    m.forward();
    expect(levels).toEqual(['filling', 'full', 'ok']);
  });
});
