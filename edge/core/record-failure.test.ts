/**
 * The gate when its recorder cannot keep readings: nobody passes unrecorded (the recorder is
 * asked before the turnstile moves), a reading that cannot be kept is logged and not
 * acknowledged, and no failure escapes into the MQTT callback, where it would end the process.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { parseEdgeConfig } from '../config/load.ts';
import { StorageError, StorageErrorCode } from '../storage/errors.ts';
import { MemoryRecorder } from '../../test/doubles/edge/memory-recorder.ts';
import type { ReadingRecorder } from '../storage/types.ts';
import { AccessList } from './access-list.ts';
import { FakeClock } from '../../test/doubles/edge/fake-clock.ts';
import { Gate } from './gate.ts';
import { ArrayRecorder, CapturingBus, FakeActuator } from '../../test/doubles/edge/gate-io.ts';

const cfg = parseEdgeConfig({
  siteId: 'plant-1',
  gateId: 'gate-a',
  mqtt: { url: 'mqtt://127.0.0.1:1883' },
  thermometer: { protocol: 'none' },
  terminal: { deviceId: 'T1', temperatureSource: 'terminal' },
  lang: 'en',
});

function setup(recorder: ReadingRecorder = new ArrayRecorder()) {
  const clock = new FakeClock();
  const io = new FakeActuator();
  const bus = new CapturingBus();
  const logs: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'info' },
    { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const accessList = new AccessList();
  accessList.apply({
    v: 1,
    version: 1,
    issuedAt: 0,
    entries: [
      { employeeNo: 'E1', name: 'A', department: 'QA', kind: 'employee', validFrom: null, validUntil: null },
    ],
  });
  const gate = new Gate({
    cfg,
    clock,
    log,
    io,
    recorder,
    bus,
    accessList,
    thermometerState: () => 'none',
    requestMeasurement: () => {},
  });
  let serial = 500;
  const event = (patch: Record<string, unknown> = {}) =>
    JSON.stringify({
      serialNo: serial++,
      dateTime: new Date(clock.now()).toISOString(),
      employeeNoString: 'E1',
      name: 'A',
      similarity: 0.93,
      mask: 'yes',
      remoteCheck: true,
      isRealtime: true,
      currTemperature: 36.5,
      thermometryUnit: 'celsius',
      ...patch,
    });
  const faceHandler = gate.subscriptions().find(([t]) => t === 'face/T1/event')?.[1] as (p: Buffer) => void;
  return { gate, io, bus, logs, event, faceHandler };
}

describe('a recorder that would not keep the reading', () => {
  it("policy 'refuse' at capacity: a pass is held shut before actuation, told why, and still recorded", async () => {
    const recorder = new MemoryRecorder({ capacity: 2, policy: 'refuse', autoForward: false });
    const t = setup(recorder);
    await t.gate.onFaceEvent(t.event());
    await t.gate.onFaceEvent(t.event());
    expect(t.io.releases).toHaveLength(2);
    expect(recorder.accepting()).toBe(false);

    const h = await t.gate.onFaceEvent(t.event());
    expect(t.io.releases).toHaveLength(2); // not released
    expect(t.io.signals.at(-1)).toBe('deny');
    expect(h?.released).toBe(false);
    expect(h?.verdict).toMatchObject({ checkResult: 'failed', open: false });
    expect(h?.verdict?.display).toBe('36.5°C Cannot record. No entry. Call staff');
    // The memory recorder refuses the reading itself too: logged, not published, nothing thrown.
    expect(h?.kind).toBe('not-recorded');
    expect(t.logs.some((l) => l.msg === 'reading NOT recorded' && l.code === 'TG_OUTBOX_FULL')).toBe(true);
    expect(t.bus.on('tg/plant-1/gate/gate-a/decision')).toHaveLength(2);

    recorder.forward(1); // the sink took one: room again
    expect(recorder.accepting()).toBe(true);
    await t.gate.onFaceEvent(t.event());
    expect(t.io.releases).toHaveLength(3);
  });

  it('a pass the outbox would not accept is refused and recorded as refused (no record says pass for a person kept out)', async () => {
    const recorder = new ArrayRecorder();
    recorder.accept = false;
    const t = setup(recorder);
    const h = await t.gate.onFaceEvent(t.event());
    expect(h?.kind).toBe('decided');
    expect(t.io.releases).toEqual([]);
    expect(recorder.records).toHaveLength(1);
    expect(recorder.records[0]).toMatchObject({
      decision: 'denied',
      reason: 'not-recording',
      released: false,
    });
  });

  it('a fever is still flagged, and a fire alarm still opens', async () => {
    const recorder = new ArrayRecorder();
    recorder.accept = false;
    const t = setup(recorder);
    const fever = await t.gate.onFaceEvent(t.event({ currTemperature: 38.2 }));
    expect(t.io.signals).toEqual(['flag']);
    expect(fever?.verdict?.display).toMatch(/^38\.2°C High temperature/);
    t.io.fireAlarm = true;
    const h = await t.gate.onFaceEvent(t.event());
    expect(h?.released).toBe(true);
    expect(t.io.releases).toHaveLength(1);
  });

  it('a reading the recorder throws back is logged in full, not acknowledged, and nothing escapes', async () => {
    const recorder = new ArrayRecorder();
    const t = setup(recorder);
    recorder.failWith = new StorageError(StorageErrorCode.OUTBOX_SPILL_FULL, '10000 readings already held');
    recorder.accept = false;
    const offline = await t.gate.onFaceEvent(t.event({ isRealtime: false, remoteCheck: false }));
    const local = await t.gate.onFaceEvent(t.event({ remoteCheck: false }));
    expect(offline?.kind).toBe('not-recorded');
    expect(local?.kind).toBe('not-recorded');
    // Unacknowledged, so the terminal uploads the records again once there is room.
    expect(t.bus.on('face/T1/ack')).toEqual([]);
    expect(t.io.releases).toEqual([]);
    const logged = t.logs.filter((l) => l.msg === 'reading NOT recorded');
    expect(logged).toHaveLength(2);
    expect(logged[1]).toMatchObject({
      code: 'TG_OUTBOX_SPILL_FULL',
      employeeNo: 'E1',
      temperatureTenths: 365,
      decision: 'denied',
      reason: 'not-recording',
      released: false,
    });

    recorder.failWith = null;
    recorder.accept = true;
    const again = await t.gate.onFaceEvent(t.event({ isRealtime: false, remoteCheck: false }));
    expect(again?.kind).toBe('offline-record');
    expect(recorder.records).toHaveLength(1);
  });

  it('an unexpected failure inside the MQTT callback is logged, never an unhandled rejection', async () => {
    const recorder = new ArrayRecorder();
    recorder.hasEvent = () => {
      throw new Error('SQLITE_IOERR: disk I/O error');
    };
    const t = setup(recorder);
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      t.faceHandler(Buffer.from(t.event()));
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
    expect(t.logs.find((l) => l.code === 'TG_EDGE_EVENT_FAILED')?.err).toMatch(/SQLITE_IOERR/);
  });
});

describe('the outbox-filling alert', () => {
  const alerts = (bus: CapturingBus) =>
    bus.on('tg/plant-1/gate/gate-a/alert') as Array<{
      kind: string;
      severity: string;
      active: boolean;
      detail: string;
    }>;

  it('names the disk and its free space when the disk raised it, the reading count otherwise', () => {
    const t = setup();
    const base = {
      depth: 12,
      capacity: 1_000_000,
      reserveBytes: 64 * 1024 * 1024,
      spilled: 0,
      writeError: null,
    };
    t.gate.onOutboxFill({
      ...base,
      level: 'filling',
      severity: 'minor',
      active: true,
      cause: 'readings',
      freeBytes: null,
    });
    t.gate.onOutboxFill({
      ...base,
      level: 'high',
      severity: 'major',
      active: true,
      cause: 'disk',
      freeBytes: 100 * 1024 * 1024,
    });
    t.gate.onOutboxFill({
      ...base,
      level: 'full',
      severity: 'critical',
      active: true,
      cause: 'spill',
      freeBytes: 0,
      spilled: 7,
      writeError: 'SQLITE_FULL',
    });
    t.gate.onOutboxFill({
      ...base,
      level: 'ok',
      severity: 'info',
      active: false,
      cause: null,
      freeBytes: 900 * 1024 * 1024,
    });
    const a = alerts(t.bus);
    expect(a.map((x) => [x.kind, x.severity, x.active])).toEqual([
      ['outbox-filling', 'minor', true],
      ['outbox-filling', 'major', true],
      ['outbox-filling', 'critical', true],
      ['outbox-filling', 'info', false],
    ]);
    expect(a[0]?.detail).toBe('outbox 12 of 1000000 readings');
    expect(a[1]?.detail).toMatch(/^gate disk nearly full \(high\): 100 MB free .*reserve 64 MB/);
    expect(a[2]?.detail).toMatch(/^gate disk full: .*SQLITE_FULL.*7 readings held in memory/);
    expect(a[3]?.detail).toBe("outbox 12 of 1000000 readings; 900 MB free on the gate's data disk");
  });

  it('the heartbeat carries free disk bytes and readings held in memory', () => {
    const t = setup(new MemoryRecorder());
    expect(t.gate.heartbeat().outbox).toEqual({
      depth: 0,
      oldestAgeS: null,
      freeDiskBytes: null,
      spilled: 0,
    });
  });
});
