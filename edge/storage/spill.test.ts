/**
 * Readings the outbox cannot commit are held in memory, numbered, and committed in order later;
 * their seqs are never reused, not even after the process ended with them still held. Driven
 * through the real failure paths that need no full disk (TG_OUTBOX_FULL under 'refuse') and an
 * injected statfs; test/storage/disk-full.test.ts does the same on a really full filesystem.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import { FakeSink } from '../../test/storage/fake-sink.ts';
import { newReading } from '../../test/storage/records.ts';
import type { FillEvent } from './fill-level.ts';
import { Outbox } from './outbox.ts';
import { createRecorder, type DurableRecorder, type RecorderConfig, type RecorderDeps } from './recorder.ts';
import { SEQ_GUARD_SIZE } from './seq-guard.ts';

const MB = 1024 * 1024;
const FAST = { lingerMs: 5, backoffMinMs: 10, backoffMaxMs: 20, probeIntervalMs: 5 };
const until = async (cond: () => boolean, what: string) => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
};

let dir: string;
const open: DurableRecorder[] = [];
const logs: Array<Record<string, unknown>> = [];
const logger = pino({ level: 'debug' }, { write: (l: string) => void logs.push(JSON.parse(l)) });
const make = (c: Partial<RecorderConfig>, deps: RecorderDeps = {}) => {
  const r = createRecorder(
    {
      outboxPath: join(dir, 'outbox.sqlite'),
      sink: { kind: 'none' },
      forwarder: FAST,
      spillRetryMs: 10,
      ...c,
    },
    { logger, ...deps },
  );
  open.push(r);
  return r;
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tg-spill-'));
  logs.length = 0;
});
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the memory spill', () => {
  it("holds what 'refuse' cannot commit, numbered in sequence, and commits it in order once there is room", async () => {
    const sink = new FakeSink();
    sink.down = true;
    const rec = make({ capacity: 3, policy: 'refuse' }, { sink });
    const fills: FillEvent[] = [];
    rec.on('fill', (e) => fills.push(e));
    const got: ReadingRecord[] = [];
    for (let i = 0; i < 3; i++)
      got.push(rec.recordEvent(newReading({ sensorSeq: i }), `ev-${i}`) as ReadingRecord);
    expect(rec.accepting()).toBe(false); // at capacity: the gate must not release anybody
    for (let i = 3; i < 7; i++)
      got.push(rec.recordEvent(newReading({ sensorSeq: i }), `ev-${i}`) as ReadingRecord);

    const seqs = got.map((r) => r.seq);
    expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] as number) + i));
    expect(rec.stats()).toMatchObject({ depth: 3, spilled: 4, level: 'full' });
    expect(fills.at(-1)).toMatchObject({
      level: 'full',
      severity: 'critical',
      active: true,
      cause: 'spill',
      spilled: 1,
      writeError: 'TG_OUTBOX_FULL',
    });
    // A redelivered event is known while its reading is held, and not recorded twice.
    expect(rec.hasEvent('ev-5')).toBe(true);
    expect(rec.recordEvent(newReading(), 'ev-5')).toBeUndefined();
    expect(logs.find((l) => l.code === 'TG_OUTBOX_SPILLED')).toMatchObject({ writeError: 'TG_OUTBOX_FULL' });

    sink.down = false; // the sink drains the outbox, the held readings follow
    await until(() => rec.stats().spilled === 0 && rec.stats().depth === 0, 'spill committed and drained');
    expect([...sink.stored.values()].map((r) => r.id)).toEqual(got.map((r) => r.id));
    expect([...sink.stored.values()]).toEqual(got);
    expect(rec.accepting()).toBe(true);
    expect(fills.at(-1)).toMatchObject({ level: 'ok', active: false, cause: null });
    expect(rec.recordEvent(newReading(), 'ev-7')?.seq).toBe((seqs[6] as number) + 1);
  });

  it('is bounded: past spillLimit a reading is refused loudly, and accepting() says so first', () => {
    const rec = make({ capacity: 1, policy: 'refuse', spillLimit: 2 });
    rec.record(newReading());
    rec.record(newReading());
    rec.record(newReading());
    expect(rec.accepting()).toBe(false);
    expect(() => rec.record(newReading({ employeeNo: 'E-lost' }))).toThrow(/TG_OUTBOX_SPILL_FULL/);
    const logged = logs.find((l) => l.code === 'TG_OUTBOX_SPILL_FULL') as { reading: { employeeNo: string } };
    expect(logged.reading.employeeNo).toBe('E-lost');
    expect(rec.stats().spilled).toBe(2);
  });

  it('a seq handed out while held is never reused after the process ended with it in memory', async () => {
    let rec = make({ capacity: 1, policy: 'refuse' });
    const first = rec.record(newReading());
    const held = [rec.record(newReading()), rec.record(newReading())];
    expect(held.map((r) => r.seq)).toEqual([first.seq + 1, first.seq + 2]);
    await rec.close(); // as good as a crash for the held readings: they never reached the disk
    const lost = logs.find((l) => l.code === 'TG_OUTBOX_SPILL_LOST') as { readings: ReadingRecord[] };
    expect(lost.readings.map((r) => r.id)).toEqual(held.map((r) => r.id));

    logs.length = 0;
    rec = make({ capacity: 100, policy: 'refuse' });
    expect(logs.find((l) => l.code === 'TG_OUTBOX_SPILL_LOST')).toMatchObject({
      fromSeq: first.seq + 1,
      toSeq: first.seq + 2,
    });
    expect(rec.record(newReading()).seq).toBe(first.seq + 3);
  });
});

describe('the seq guard', () => {
  const path = () => join(dir, 'g', 'outbox.sqlite');

  it('a torn guard makes the gate continue at the wall clock; a blank one changes nothing', () => {
    let ob = Outbox.open({ path: path(), capacity: 100 });
    const a = ob.append(newReading());
    ob.close();
    writeFileSync(`${path()}.seq-guard`, Buffer.alloc(SEQ_GUARD_SIZE, 0x20)); // created, never written
    ob = Outbox.open({ path: path(), capacity: 100 });
    expect(ob.append(newReading()).seq).toBe(a.seq + 1);
    ob.close();

    writeFileSync(`${path()}.seq-guard`, '{"v":1,"next":[["site-a","gate-1",12'); // torn
    const before = Date.now();
    ob = Outbox.open({ path: path(), capacity: 100 });
    expect(ob.skippedAtOpen()).toEqual([
      { siteId: 'site-a', gateId: 'gate-1', from: null, to: expect.any(Number) },
    ]);
    expect(ob.append(newReading()).seq).toBeGreaterThanOrEqual(before);
    ob.close();
  });
});

describe('free disk space', () => {
  it('raises the same fill levels with the disk as cause, with hysteresis, and shows free bytes in stats', async () => {
    let free = 1000 * MB;
    const statfs = () => ({ bavail: free / 4096, bsize: 4096 });
    const rec = make({ diskReserveMB: 64, diskCheckEvery: 1, policy: 'refuse' }, { statfs });
    const fills: FillEvent[] = [];
    rec.on('fill', (e) => fills.push(e));
    rec.record(newReading());
    expect(rec.stats().freeDiskBytes).toBe(1000 * MB);
    free = 200 * MB;
    rec.record(newReading());
    free = 100 * MB;
    rec.record(newReading());
    free = 50 * MB;
    expect(rec.accepting()).toBe(true); // not read again yet: no write since
    rec.record(newReading());
    expect(rec.accepting()).toBe(false); // 'refuse' stops releasing below the reserve
    free = 70 * MB; // above the reserve but within the hysteresis
    rec.record(newReading());
    free = 300 * MB;
    rec.record(newReading());
    expect(fills.map((e) => [e.level, e.severity, e.cause])).toEqual([
      ['filling', 'minor', 'disk'],
      ['high', 'major', 'disk'],
      ['critical', 'critical', 'disk'],
      ['ok', 'info', null],
    ]);
    expect(fills[0]).toMatchObject({ freeBytes: 200 * MB, reserveBytes: 64 * MB, active: true });
    expect(rec.accepting()).toBe(true);
  });

  it('alerts right after start when the disk is already low', async () => {
    const rec = make({ diskReserveMB: 64 }, { statfs: () => ({ bavail: 10, bsize: 4096 }) });
    const fills: FillEvent[] = [];
    rec.on('fill', (e) => fills.push(e));
    await until(() => fills.length > 0, 'first disk check');
    expect(fills[0]).toMatchObject({ level: 'critical', cause: 'disk', freeBytes: 40960 });
  });
});
