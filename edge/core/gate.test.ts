import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { GateCommandAck } from '../../protocols/gate/messages.ts';
import { parseEdgeConfig } from '../config/load.ts';
import type { Measurement, ThermometerLinkState } from '../thermometer/types.ts';
import { AccessList } from './access-list.ts';
import { FakeClock } from '../../test/doubles/edge/fake-clock.ts';
import { Gate, STATUS_COALESCE_MS } from './gate.ts';
import { ArrayRecorder, CapturingBus, FakeActuator } from '../../test/doubles/edge/gate-io.ts';

const cfg = parseEdgeConfig({
  siteId: 'plant-1',
  gateId: 'gate-a',
  mqtt: { url: 'mqtt://127.0.0.1:1883' },
  thermometer: { protocol: 'modbus-ir', port: '/dev/null' },
  terminal: { deviceId: 'T1' },
});

function setup(patch: Partial<typeof cfg> = {}) {
  const clock = new FakeClock();
  const io = new FakeActuator();
  const recorder = new ArrayRecorder();
  const bus = new CapturingBus();
  const accessList = new AccessList();
  accessList.apply({
    v: 1,
    version: 1,
    issuedAt: 0,
    entries: [
      {
        employeeNo: 'E1',
        name: '张伟',
        department: 'QA',
        kind: 'employee',
        validFrom: null,
        validUntil: null,
      },
    ],
  });
  let thermo: ThermometerLinkState = 'online';
  let requested = 0;
  const gate = new Gate({
    cfg: { ...cfg, ...patch },
    clock,
    log: pino({ level: 'silent' }),
    io,
    recorder,
    bus,
    accessList,
    thermometerState: () => thermo,
    requestMeasurement: () => requested++,
  });
  const measure = (tenths: number, extra: Partial<Measurement> = {}) =>
    gate.onMeasurement({
      at: clock.now(),
      sensor: 'modbus-ir',
      rawTenths: tenths,
      ambientTenths: 251,
      sensorSeq: 1,
      valid: true,
      sensorFault: false,
      belowRange: false,
      aboveRange: false,
      distanceMm: 450,
      ...extra,
    });
  let serial = 100;
  const event = (patchEv: Record<string, unknown> = {}) =>
    JSON.stringify({
      serialNo: serial++,
      dateTime: '2026-11-29T08:01:02.345+08:00',
      employeeNoString: 'E1',
      name: '张伟',
      similarity: 0.93,
      mask: 'yes',
      remoteCheck: true,
      isRealtime: true,
      ...patchEv,
    });
  return {
    gate,
    clock,
    io,
    recorder,
    bus,
    measure,
    event,
    setThermo: (s: ThermometerLinkState) => (thermo = s),
    requested: () => requested,
  };
}

describe('Gate', () => {
  it('37.2 passes: release, verdict with the temperature, reading with provenance', async () => {
    const t = setup();
    t.measure(372);
    const h = await t.gate.onFaceEvent(t.event());
    expect(h?.outcome).toEqual({ decision: 'pass', reason: 'ok', release: true });
    expect(t.io.releases).toEqual([3000]);
    expect(h?.verdict).toMatchObject({
      checkResult: 'success',
      open: false,
      display: '37.2°C 体温正常 请通行',
    });
    expect(t.bus.on('face/T1/verdict')).toHaveLength(1);
    expect(t.recorder.records[0]).toMatchObject({
      employeeNo: 'E1',
      temperatureTenths: 372,
      rawTenths: 372,
      ambientTenths: 251,
      source: 'gate-thermometer',
      sensor: 'modbus-ir',
      released: true,
      pairingDelayMs: 0,
    });
  });

  it('exactly 37.3 is flagged: shut, flag signal, isolation in the verdict, critical alert', async () => {
    const t = setup();
    t.measure(373);
    const h = await t.gate.onFaceEvent(t.event());
    expect(h?.outcome?.decision).toBe('flagged');
    expect(t.io.releases).toEqual([]);
    expect(t.io.signals).toEqual(['flag']);
    expect(h?.verdict?.display).toBe('37.3°C 体温异常 请前往隔离观察区');
    const alerts = t.bus.on('tg/plant-1/gate/gate-a/alert') as {
      kind: string;
      severity: string;
      employeeNo: string;
    }[];
    expect(alerts).toMatchObject([{ kind: 'fever', severity: 'critical', employeeNo: 'E1' }]);
  });

  it("names the dashboard's planned isolation room in the verdict and the decision", async () => {
    const t = setup();
    t.gate.onIsolationPlan(
      JSON.stringify({
        v: 1,
        siteId: 'plant-1',
        gateId: 'gate-a',
        room: { id: 'A2', name: '隔离室A2' },
        at: 1,
      }),
    );
    t.measure(380);
    const h = await t.gate.onFaceEvent(t.event());
    expect(h?.verdict?.display).toBe('38.0°C 体温异常 请前往隔离室A2');
    const decisions = t.bus.on('tg/plant-1/gate/gate-a/decision') as { isolationRoom: string | null }[];
    expect(decisions.at(-1)?.isolationRoom).toBe('A2');
  });

  it('falls back to the configured area when every room is full, and ignores plans for other gates', async () => {
    const t = setup();
    t.gate.onIsolationPlan(JSON.stringify({ v: 1, siteId: 'plant-1', gateId: 'gate-a', room: null, at: 1 }));
    t.gate.onIsolationPlan(
      JSON.stringify({ v: 1, siteId: 'plant-1', gateId: 'gate-b', room: { id: 'B1', name: 'B1' }, at: 2 }),
    );
    t.gate.onIsolationPlan('{"v":1,"room":');
    t.measure(375);
    const h = await t.gate.onFaceEvent(t.event());
    expect(h?.verdict?.display).toBe('37.5°C 体温异常 请前往隔离观察区');
    const decisions = t.bus.on('tg/plant-1/gate/gate-a/decision') as { isolationRoom: string | null }[];
    expect(decisions.at(-1)?.isolationRoom).toBeNull();
    expect(t.gate.heartbeat().counters.badPayloads).toBe(2);
  });

  it('a person who tries again is sent to the room they were told, though the plan has moved on', async () => {
    const t = setup();
    const plan = (id: string) =>
      t.gate.onIsolationPlan(
        JSON.stringify({ v: 1, siteId: 'plant-1', gateId: 'gate-a', room: { id, name: id }, at: 1 }),
      );
    plan('A1');
    t.measure(380);
    expect((await t.gate.onFaceEvent(t.event()))?.verdict?.display).toContain('A1');
    plan('A2');
    t.clock.advance(5000);
    t.measure(381);
    expect((await t.gate.onFaceEvent(t.event()))?.verdict?.display).toContain('A1');
    const decisions = t.bus.on('tg/plant-1/gate/gate-a/decision') as { isolationRoom: string | null }[];
    expect(decisions.map((d) => d.isolationRoom)).toEqual(['A1', 'A1']);
    // Long after, it is a new episode: the current plan applies.
    t.clock.advance(31 * 60_000);
    t.measure(382);
    expect((await t.gate.onFaceEvent(t.event()))?.verdict?.display).toContain('A2');
  });

  it('a pass never names a room', async () => {
    const t = setup();
    t.gate.onIsolationPlan(
      JSON.stringify({ v: 1, siteId: 'plant-1', gateId: 'gate-a', room: { id: 'A2', name: 'A2' }, at: 1 }),
    );
    t.measure(365);
    await t.gate.onFaceEvent(t.event());
    const decisions = t.bus.on('tg/plant-1/gate/gate-a/decision') as { isolationRoom: string | null }[];
    expect(decisions.at(-1)?.isolationRoom).toBeNull();
  });

  it('the edge offset is applied and recorded', async () => {
    const t = setup({ thermometer: { ...cfg.thermometer, offsetTenths: 7 } });
    t.measure(366);
    const h = await t.gate.onFaceEvent(t.event());
    expect(h?.record).toMatchObject({
      rawTenths: 366,
      offsetTenths: 7,
      temperatureTenths: 373,
      decision: 'flagged',
    });
  });

  it('an unpaired face waits, asks for a measurement, then says re-measure', async () => {
    const t = setup();
    const p = t.gate.onFaceEvent(t.event());
    t.clock.advance(cfg.policy.waitForMeasurementMs);
    const h = await p;
    expect(t.requested()).toBe(1);
    expect(h?.outcome).toEqual({ decision: 'remeasure', reason: 'no-measurement', release: false });
    expect(t.io.releases).toEqual([]);
  });

  it('a late measurement is paired', async () => {
    const t = setup();
    const p = t.gate.onFaceEvent(t.event());
    t.clock.advance(400);
    t.measure(365);
    expect((await p)?.record).toMatchObject({ temperatureTenths: 365, pairingDelayMs: 400, released: true });
  });

  it('a measurement is never used for a second person', async () => {
    const t = setup({ policy: { ...cfg.policy, waitForMeasurementMs: 0 } });
    t.measure(366);
    expect((await t.gate.onFaceEvent(t.event()))?.outcome?.decision).toBe('pass');
    expect((await t.gate.onFaceEvent(t.event()))?.outcome?.decision).toBe('remeasure');
    expect(t.io.releases).toHaveLength(1);
  });

  it.each([
    [{ employeeNoString: '' }, 'unknown-face', 'unknown-person'],
    [{ employeeNoString: 'E404' }, 'not-on-access-list', 'not-on-access-list'],
    [{ mask: 'no' }, 'mask-missing', 'mask-missing'],
  ])('denies %o and alerts', async (patch, reason, alertKind) => {
    const t = setup();
    t.measure(366);
    const h = await t.gate.onFaceEvent(t.event(patch));
    expect(h?.outcome).toEqual({ decision: 'denied', reason, release: false });
    expect(t.io.releases).toEqual([]);
    expect((t.bus.on('tg/plant-1/gate/gate-a/alert') as { kind: string }[])[0]?.kind).toBe(alertKind);
  });

  it('sensor fault → re-measure, and a fault state raises then clears an alert', async () => {
    const t = setup();
    t.gate.onThermometerState('fault');
    t.gate.onThermometerState('online');
    t.measure(366, { sensorFault: true, valid: false });
    const h = await t.gate.onFaceEvent(t.event());
    expect(h?.outcome).toEqual({ decision: 'remeasure', reason: 'sensor-fault', release: false });
    const faults = (t.bus.on('tg/plant-1/gate/gate-a/alert') as { kind: string; active: boolean }[]).filter(
      (a) => a.kind === 'sensor-fault',
    );
    expect(faults.map((a) => a.active)).toEqual([true, false]);
  });

  it('fire alarm releases even a fever, and the record says so', async () => {
    const t = setup();
    t.io.fireAlarm = true;
    t.measure(390);
    const h = await t.gate.onFaceEvent(t.event());
    expect(h?.outcome?.decision).toBe('flagged');
    expect(h?.released).toBe(true);
  });

  it('offline uploads are stored with their own time, acked, never actuate', async () => {
    const t = setup();
    const h = await t.gate.onFaceEvent(
      t.event({ isRealtime: false, remoteCheck: false, currTemperature: 37.8 }),
    );
    expect(h?.kind).toBe('offline-record');
    expect(h?.record).toMatchObject({
      at: Date.parse('2026-11-29T08:01:02.345+08:00'),
      realtime: false,
      released: false,
      temperatureTenths: 378,
      source: 'terminal',
    });
    expect(t.io.releases).toEqual([]);
    expect(t.io.signals).toEqual([]);
    expect(t.bus.on('face/T1/ack')).toEqual([{ serialNo: 100 }]);
  });

  it('a realtime event that arrives long after it happened is stored, answered, and opens nothing', async () => {
    const t = setup();
    t.measure(366);
    const old = new Date(t.clock.now() - 60_000).toISOString();
    const h = await t.gate.onFaceEvent(t.event({ dateTime: old }));
    expect(h?.kind).toBe('decided');
    // Recorded as what it was: refused because it came too late, at the time it happened.
    expect(h?.record).toMatchObject({
      decision: 'denied',
      reason: 'late',
      released: false,
      at: t.clock.now() - 60_000,
    });
    expect(t.io.releases).toEqual([]);
    // Answered all the same: a terminal still waiting learns why, one that gave up ignores it.
    expect(t.bus.on('face/T1/verdict')).toEqual([
      expect.objectContaining({ checkResult: 'failed', open: false }),
    ]);
    expect(t.gate.counters.staleEvents).toBe(1);
  });

  it('a re-sent event is acknowledged again and otherwise ignored', async () => {
    const t = setup();
    const ev = t.event({ isRealtime: false, remoteCheck: false });
    await t.gate.onFaceEvent(ev);
    expect((await t.gate.onFaceEvent(ev))?.kind).toBe('duplicate');
    expect(t.recorder.records).toHaveLength(1);
    expect(t.bus.on('face/T1/ack')).toHaveLength(2);
    expect(t.gate.counters.duplicateEvents).toBe(1);
  });

  it('a terminal that starts its serialNo again (replaced, reset) is not taken for a duplicate', async () => {
    const t = setup({ policy: { ...cfg.policy, waitForMeasurementMs: 0 } });
    const first = JSON.parse(t.event()) as Record<string, unknown>;
    await t.gate.onFaceEvent(JSON.stringify(first));
    const again = { ...first, dateTime: '2026-11-30T08:00:00.000+08:00' };
    expect((await t.gate.onFaceEvent(JSON.stringify(again)))?.kind).toBe('decided');
    expect(t.recorder.records).toHaveLength(2);
  });

  it('a bad payload is rejected and counted, nothing else happens', async () => {
    const t = setup();
    expect(await t.gate.onFaceEvent('{"serialNo":"x"}')).toBeUndefined();
    expect(t.gate.counters.badPayloads).toBe(1);
    expect(t.recorder.records).toHaveLength(0);
  });

  it('terminal as the temperature source', async () => {
    const t = setup({ terminal: { protocol: 'face-mqtt', deviceId: 'T1', temperatureSource: 'terminal' } });
    const h = await t.gate.onFaceEvent(t.event({ currTemperature: 99.1, thermometryUnit: 'fahrenheit' }));
    expect(h?.record).toMatchObject({ temperatureTenths: 373, source: 'terminal', sensor: 'terminal' });
    expect(h?.outcome?.decision).toBe('flagged');
  });

  it('verdict drive: the terminal opens, our relay stays shut', async () => {
    const t = setup({ turnstile: { drive: 'verdict', lampMs: 2000, openMs: 3000 } });
    t.measure(366);
    const h = await t.gate.onFaceEvent(t.event());
    expect(h?.verdict?.open).toBe(true);
    expect(t.io.releases).toEqual([]);
  });

  it('lockdown command denies passes until released; open-once releases', async () => {
    const t = setup();
    const cmd = (kind: string) =>
      JSON.stringify({ v: 1, id: `c-${kind}`, kind, reason: 'drill', by: 'guard1', at: t.clock.now() });
    t.gate.onCommand(cmd('lockdown'));
    t.measure(366);
    expect((await t.gate.onFaceEvent(t.event()))?.outcome?.reason).toBe('lockdown');
    t.gate.onCommand(cmd('open-once'));
    expect(t.io.releases).toEqual([]);
    t.gate.onCommand(cmd('release-lockdown'));
    t.gate.onCommand(cmd('open-once'));
    expect(t.io.releases).toEqual([3000]);
    const acks = t.bus.on('tg/plant-1/gate/gate-a/command-ack') as GateCommandAck[];
    expect(acks.map((a) => a.ok)).toEqual([true, false, true, true]);
    expect(acks[1]?.error).toMatch(/lockdown/);
    // The refusal's code is what the pages translate (protocols CommandRefusal).
    expect(acks.map((a) => a.code)).toEqual([null, 'lockdown', null, null]);
  });

  it('a command queued while the gate was away (older than staleEventMs) is refused, not executed', () => {
    const t = setup();
    const at = t.clock.now();
    t.clock.advance(cfg.policy.staleEventMs + 1);
    t.gate.onCommand(JSON.stringify({ v: 1, id: 'old', kind: 'open-once', reason: 'x', by: 'g', at }));
    t.gate.onCommand(JSON.stringify({ v: 1, id: 'old2', kind: 'lockdown', reason: 'x', by: 'g', at }));
    expect(t.io.releases).toEqual([]);
    expect(t.io.lockdown).toBe(false);
    const acks = t.bus.on('tg/plant-1/gate/gate-a/command-ack') as GateCommandAck[];
    expect(acks.map((a) => a.ok)).toEqual([false, false]);
    expect(acks[0]?.error).toMatch(/stale/);
    expect(acks.map((a) => a.code)).toEqual(['stale', 'stale']);
  });

  it('repeated re-measures of one person raise one alert', async () => {
    const t = setup({ policy: { ...cfg.policy, waitForMeasurementMs: 0 } });
    for (let i = 0; i < 3; i++) await t.gate.onFaceEvent(t.event());
    const kinds = (t.bus.on('tg/plant-1/gate/gate-a/alert') as { kind: string }[]).map((a) => a.kind);
    expect(kinds).toEqual(['remeasure-repeated']);
  });

  it('an unclaimed measurement is stored as unpaired once it ages out', () => {
    const t = setup();
    t.measure(366);
    t.clock.advance(cfg.policy.pairingWindowMs + 1);
    t.gate.sweep();
    expect(t.recorder.records).toMatchObject([
      { decision: 'unpaired', employeeNo: '', temperatureTenths: 366 },
    ]);
  });

  it('an access list change applies on top of the version held, a gap is skipped', async () => {
    const t = setup({ policy: { ...cfg.policy, waitForMeasurementMs: 0 } });
    const change = (from: number, to: number, upserts: string[], removals: string[]) =>
      JSON.stringify({
        v: 1,
        fromVersion: from,
        toVersion: to,
        issuedAt: 0,
        upserts: upserts.map((employeeNo) => ({ employeeNo })),
        removals,
      });
    t.gate.lists.onAccessListChange(change(1, 2, ['E7'], ['E1']));
    expect(t.gate.status(true).accessListVersion).toBe(2);
    t.gate.lists.onAccessListChange(change(5, 6, ['E8'], []));
    expect(t.gate.status(true).accessListVersion).toBe(2);
    t.measure(366);
    expect((await t.gate.onFaceEvent(t.event({ employeeNoString: 'E1' })))?.outcome?.reason).toBe(
      'not-on-access-list',
    );
    t.measure(366);
    expect((await t.gate.onFaceEvent(t.event({ employeeNoString: 'E7' })))?.outcome?.decision).toBe('pass');
  });

  it('list changes re-publish the status once per second at most, and never after an offline status', () => {
    const t = setup();
    const statuses = () =>
      t.bus.on('tg/plant-1/gate/gate-a/status') as { accessListVersion: number | null; online: boolean }[];
    const change = (from: number, to: number) =>
      JSON.stringify({
        v: 1,
        fromVersion: from,
        toVersion: to,
        issuedAt: 0,
        upserts: [{ employeeNo: `E${to}` }],
        removals: [],
      });
    const before = statuses().length;
    // A burst of changes (a site's fevers change the holds): decided with at once, published once.
    for (let v = 1; v < 6; v++) t.gate.lists.onAccessListChange(change(v, v + 1));
    expect(t.gate.status(true).accessListVersion).toBe(6);
    expect(statuses().length).toBe(before);
    t.clock.advance(STATUS_COALESCE_MS);
    expect(
      statuses()
        .slice(before)
        .map((s) => s.accessListVersion),
    ).toEqual([6]);
    // A change just before the gate stops: its last word is "offline", nothing after it.
    t.gate.lists.onAccessListChange(change(6, 7));
    t.gate.publishStatus(false);
    t.clock.advance(2 * STATUS_COALESCE_MS);
    expect(statuses().at(-1)).toMatchObject({ online: false, accessListVersion: 7 });
  });

  it('a newer access list replaces an older one, an older one is ignored', async () => {
    const t = setup();
    const list = (version: number, no: string) =>
      JSON.stringify({ v: 1, version, issuedAt: 0, entries: [{ employeeNo: no }] });
    t.gate.lists.onAccessList(list(3, 'E2'));
    t.gate.lists.onAccessList(list(2, 'E1'));
    t.measure(366);
    expect((await t.gate.onFaceEvent(t.event({ employeeNoString: 'E2' })))?.outcome?.decision).toBe('pass');
    expect(t.gate.status(true).accessListVersion).toBe(3);
  });
});
