/** The gates' values as the OPC UA server shows them: pure logic, a fake clock. */
import { describe, expect, it } from 'vitest';
import type { DecisionMessage, GateStatus, Heartbeat } from '../../protocols/gate/messages.ts';
import { type GateField, SiteModel } from '../../hub/opcua/site-model.ts';

const TZ = 'Asia/Shanghai';
// 2026-03-01 23:59:00 in Shanghai (UTC+8).
const LATE = Date.UTC(2026, 2, 1, 15, 59, 0);

function model(start = LATE) {
  let now = start;
  const changes: Array<[string, GateField]> = [];
  const gates: string[] = [];
  const m = new SiteModel({
    timeZone: TZ,
    now: () => now,
    onGate: (g) => gates.push(g),
    onChange: (g, fields) => {
      for (const f of fields) changes.push([g, f]);
    },
  });
  return {
    m,
    changes,
    gates,
    set: (t: number) => {
      now = t;
    },
  };
}

let seq = 0;
function decision(p: {
  at: number;
  decision?: string;
  tenths?: number | null;
  id?: string;
}): DecisionMessage {
  seq++;
  return {
    v: 1,
    name: 'x',
    display: '',
    isolationRoom: null,
    reading: {
      v: 1,
      id: p.id ?? `s:gate-a:${seq}`,
      siteId: 's',
      gateId: 'gate-a',
      seq,
      at: p.at,
      recordedAt: p.at,
      employeeNo: 'E1',
      temperatureTenths: p.tenths === undefined ? 365 : p.tenths,
      rawTenths: null,
      offsetTenths: 0,
      ambientTenths: null,
      source: 'terminal',
      sensor: 'terminal',
      sensorSeq: null,
      decision: (p.decision ?? 'pass') as DecisionMessage['reading']['decision'],
      reason: 'ok',
      mask: 'yes',
      pairingDelayMs: null,
      terminalId: 'T1',
      terminalSerialNo: seq,
      realtime: true,
      released: true,
      enteredBy: null,
      policyVersion: null,
      thresholdTenths: null,
    },
  };
}

const status = (p: Partial<GateStatus>): GateStatus => ({
  v: 1,
  siteId: 's',
  gateId: 'gate-a',
  online: true,
  at: LATE,
  thermometer: 'online',
  gateState: 'locked',
  softwareVersion: '1',
  configVersion: '1',
  accessListVersion: null,
  policyVersion: null,
  policyOverrides: [],
  holdsVersion: null,
  listsRejected: [],
  terminalClockOffsetMs: null,
  ...p,
});

const heartbeat = (p: { at: number; depth: number; gateState?: string }): Heartbeat => ({
  v: 1,
  siteId: 's',
  gateId: 'gate-a',
  at: p.at,
  uptimeS: 1,
  thermometer: 'online',
  gateState: (p.gateState ?? 'locked') as Heartbeat['gateState'],
  counters: {
    passed: 0,
    flagged: 0,
    remeasure: 0,
    denied: 0,
    unpaired: 0,
    offlineRecords: 0,
    staleEvents: 0,
    duplicateEvents: 0,
    badFrames: 0,
    badPayloads: 0,
  },
  outbox: { depth: p.depth, oldestAgeS: null },
  accessListVersion: null,
});

describe('SiteModel', () => {
  it('a passage sets the last temperature (°C) and result with the gate time, and counts it once', () => {
    const { m } = model();
    m.setOnline('gate-a', true, LATE - 1000);
    const d = decision({ at: LATE - 500, tenths: 368 });
    m.onDecision('gate-a', d);
    m.onDecision('gate-a', d); // QoS 1 redelivery
    expect(m.value('gate-a', 'LastTemperature')).toEqual({ value: 36.8, at: LATE - 500, quality: 'good' });
    expect(m.value('gate-a', 'LastResult')).toEqual({ value: 'pass', at: LATE - 500, quality: 'good' });
    expect(m.value('gate-a', 'PassedToday').value).toBe(1);
    m.onDecision('gate-a', decision({ at: LATE - 400, decision: 'flagged', tenths: 385 }));
    expect(m.value('gate-a', 'FlaggedToday').value).toBe(1);
    expect(m.value('gate-a', 'PassedToday').value).toBe(1);
  });

  it('an older record replayed later is counted but does not become the "last" passage', () => {
    const { m } = model();
    m.onDecision('gate-a', decision({ at: LATE - 100, tenths: 366 }));
    m.onDecision('gate-a', decision({ at: LATE - 60_000, tenths: 371 }));
    expect(m.value('gate-a', 'LastTemperature').value).toBe(36.6);
    expect(m.value('gate-a', 'PassedToday').value).toBe(2);
  });

  it('a passage without a measurement keeps the last temperature', () => {
    const { m } = model();
    m.onDecision('gate-a', decision({ at: LATE - 100, tenths: 366 }));
    m.onDecision('gate-a', decision({ at: LATE - 50, tenths: null, decision: 'remeasure' }));
    expect(m.value('gate-a', 'LastTemperature').value).toBe(36.6);
    expect(m.value('gate-a', 'LastResult').value).toBe('remeasure');
  });

  it("today's counts start again at the site's midnight, not the server's", () => {
    const { m, set, changes } = model();
    m.onDecision('gate-a', decision({ at: LATE }));
    expect(m.value('gate-a', 'PassedToday').value).toBe(1);
    set(LATE + 90_000); // 00:00:30 in Shanghai, still the 1st in UTC
    m.tick();
    expect(m.value('gate-a', 'PassedToday').value).toBe(0);
    expect(changes).toContainEqual(['gate-a', 'PassedToday']);
    // Yesterday's record arriving late is not today's.
    m.onDecision('gate-a', decision({ at: LATE - 1000 }));
    expect(m.value('gate-a', 'PassedToday').value).toBe(0);
  });

  it('offline: live state bad, passage history uncertain, Online itself good', () => {
    const { m } = model();
    m.setOnline('gate-a', true, LATE);
    m.onStatus(status({}));
    m.onHeartbeat(heartbeat({ at: LATE + 10, depth: 4 }));
    m.onDecision('gate-a', decision({ at: LATE + 20 }));
    expect(m.value('gate-a', 'GateState').quality).toBe('good');
    m.setOnline('gate-a', false, LATE + 30);
    expect(m.value('gate-a', 'GateState')).toMatchObject({ value: 'locked', quality: 'bad' });
    expect(m.value('gate-a', 'OutboxDepth')).toMatchObject({ value: 4, quality: 'bad' });
    expect(m.value('gate-a', 'ThermometerState').quality).toBe('bad');
    expect(m.value('gate-a', 'LastResult').quality).toBe('uncertain');
    expect(m.value('gate-a', 'PassedToday').quality).toBe('uncertain');
    expect(m.value('gate-a', 'Online')).toEqual({ value: false, at: LATE + 30, quality: 'good' });
  });

  it('never heard of: no value yet', () => {
    const { m, gates } = model();
    m.ensure('gate-z');
    expect(gates).toEqual(['gate-z']);
    expect(m.value('gate-z', 'GateState')).toEqual({ value: null, at: null, quality: 'none' });
  });

  it("a last will (at = 0) says nothing about the gate's state; newer beats older", () => {
    const { m } = model();
    m.onHeartbeat(heartbeat({ at: LATE + 100, depth: 0, gateState: 'lockdown' }));
    m.onStatus(status({ online: false, at: 0, gateState: 'released' }));
    expect(m.value('gate-a', 'GateState').value).toBe('lockdown');
    m.onStatus(status({ at: LATE + 50, gateState: 'released' }));
    expect(m.value('gate-a', 'GateState').value).toBe('lockdown');
    m.onStatus(status({ at: LATE + 200, gateState: 'fire' }));
    expect(m.value('gate-a', 'GateState')).toMatchObject({ value: 'fire', at: LATE + 200 });
  });
});
