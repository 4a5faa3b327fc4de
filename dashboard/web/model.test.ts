import { describe, expect, it } from 'vitest';
import type { AlertState } from '../../protocols/dashboard/messages.ts';
import type { DecisionMessage } from '../../protocols/gate/messages.ts';
import type { GateTile } from './app/types.ts';
import { fmtValidity, lineErrors } from './app/admin/access-list.ts';
import { formatDistances, parseDistances } from './app/admin/rooms.ts';
import { asGateTiles, fromDecision, fromFleet, personSyncLine } from './app/board/gates-model.ts';
import { TABLES, translate } from './app/i18n.ts';
import { asPersonLog } from './app/hr/log-model.ts';
import {
  actionsFor,
  alarming,
  alarmKey,
  applyAlert,
  applyCommand,
  compareAlerts,
  mergeFetched,
} from './app/model.ts';

function alert(p: Partial<AlertState> & { id: string }): AlertState {
  return {
    v: 1,
    siteId: 's',
    gateId: 'gate-a',
    kind: 'fever',
    severity: 'critical',
    state: 'active-unacknowledged',
    raisedAt: 1000,
    updatedAt: 1000,
    occurrences: 1,
    employeeNo: 'E1',
    name: '张伟',
    temperatureTenths: 381,
    roomId: 'A1',
    stage: 'assigned',
    acknowledgedBy: null,
    acknowledgedAt: null,
    clearedAt: null,
    disposition: null,
    escalated: false,
    detail: '',
    ...p,
  };
}

describe('the alert queue', () => {
  it('puts the most severe first, then the newest', () => {
    const list = [
      alert({ id: 'minor-new', severity: 'minor', raisedAt: 5000 }),
      alert({ id: 'crit-old', raisedAt: 1000 }),
      alert({ id: 'crit-new', raisedAt: 3000 }),
      alert({ id: 'major', severity: 'major', raisedAt: 9000 }),
    ].sort(compareAlerts);
    expect(list.map((a) => a.id)).toEqual(['crit-new', 'crit-old', 'major', 'minor-new']);
  });

  it('applies feed changes by id, ignores stale ones, drops cleared alerts', () => {
    let list = applyAlert([], alert({ id: 'a', updatedAt: 10 }));
    list = applyAlert(list, alert({ id: 'a', updatedAt: 20, state: 'active-acknowledged' }));
    expect(list).toHaveLength(1);
    expect(list[0]?.state).toBe('active-acknowledged');
    // A replayed older event does not undo the acknowledgement.
    list = applyAlert(list, alert({ id: 'a', updatedAt: 10 }));
    expect(list[0]?.state).toBe('active-acknowledged');
    list = applyAlert(list, alert({ id: 'a', updatedAt: 30, state: 'cleared', stage: 'closed' }));
    expect(list).toEqual([]);
  });

  it('keeps what the feed brought while a refetch was in flight', () => {
    const fetched = [alert({ id: 'a', updatedAt: 10 })];
    const meanwhile = [alert({ id: 'b', updatedAt: 15 }), alert({ id: 'a', updatedAt: 5 })];
    const merged = mergeFetched(fetched, meanwhile);
    expect(merged.map((a) => [a.id, a.updatedAt])).toEqual([
      ['a', 10],
      ['b', 15],
    ]);
    expect(mergeFetched(fetched, [alert({ id: 'a', updatedAt: 11, state: 'cleared' })])).toEqual([]);
  });

  it('sounds for unacknowledged fevers until silenced, and again when the person retries', () => {
    const a = alert({ id: 'a' });
    const list = [
      a,
      alert({ id: 'b', kind: 'sensor-fault', stage: null }),
      alert({ id: 'c', state: 'active-acknowledged' }),
    ];
    expect(alarming(list, new Set()).map((x) => x.id)).toEqual(['a']);
    const silenced = new Set([alarmKey(a) as string]);
    expect(alarming(list, silenced)).toEqual([]);
    expect(alarming([alert({ id: 'a', occurrences: 2 })], silenced)).toHaveLength(1);
  });

  it('offers the guard the next step of the episode', () => {
    expect(actionsFor(alert({ id: 'a' }))).toEqual(['ack', 'arrival']);
    // No room free: the guard confirms the person at the isolation area and re-checks there.
    expect(actionsFor(alert({ id: 'a', stage: 'waiting-for-room', roomId: null }))).toEqual([
      'ack',
      'arrival',
    ]);
    expect(actionsFor(alert({ id: 'a', state: 'active-acknowledged', stage: 'arrived' }))).toEqual([
      'recheck',
    ]);
    expect(actionsFor(alert({ id: 'a', state: 'active-acknowledged', stage: 'rechecked' }))).toEqual([
      'recheck',
      'close',
    ]);
    expect(actionsFor(alert({ id: 'a', kind: 'gate-offline', stage: null }))).toEqual(['ack', 'clear']);
    // Still down: nothing to clear yet (issue #18: a fault was "cleared" while the device was down).
    const down = {
      conditionActive: true,
      device: 'gate' as const,
      deviceId: 'gate-a',
      recheckTenths: null,
      userNote: null,
    };
    expect(actionsFor(alert({ id: 'a', kind: 'gate-offline', stage: null, facts: down }))).toEqual(['ack']);
    expect(actionsFor(alert({ id: 'a', state: 'cleared', stage: 'closed' }))).toEqual([]);
  });
});

describe('gate commands', () => {
  it('never go back to pending when the ack overtakes the POST answer', () => {
    let list = applyCommand([], { id: 'c1', at: 10, state: 'acknowledged' });
    list = applyCommand(list, { id: 'c1', at: 10, state: 'pending' });
    expect(list).toEqual([{ id: 'c1', at: 10, state: 'acknowledged' }]);
    list = applyCommand(list, { id: 'c2', at: 20, state: 'pending' });
    list = applyCommand(list, { id: 'c2', at: 20, state: 'timed-out' });
    expect(list.map((c) => `${c.id}:${c.state}`)).toEqual(['c2:timed-out', 'c1:acknowledged']);
  });
});

describe('gate tiles', () => {
  const tiles = asGateTiles([
    {
      gateId: 'gate-a',
      online: true,
      thermometer: 'online',
      gateState: 'locked',
      softwareVersion: '1.0',
      configVersion: 'c1',
      accessListVersion: 3,
      lastSeenAt: 5,
      lastPassage: { at: 100, employeeNo: 'E1', name: '张伟', temperatureTenths: 366, decision: 'pass' },
      passedToday: 4,
      flaggedToday: 1,
    },
  ]);

  it('reads the server tiles', () => {
    expect(tiles[0]).toMatchObject({
      gateId: 'gate-a',
      passedToday: 4,
      flaggedToday: 1,
      lastPassage: { temperatureTenths: 366 },
    });
  });

  it('takes a live decision as the last passage, but not an offline upload', () => {
    const reading = {
      gateId: 'gate-a',
      at: 200,
      employeeNo: 'E2',
      temperatureTenths: 381,
      decision: 'flagged',
      reason: 'fever',
      realtime: true,
    };
    const d = { v: 1, reading, name: '李娜', display: '', isolationRoom: 'A1' } as unknown as DecisionMessage;
    expect(fromDecision(tiles, d)[0]?.lastPassage).toMatchObject({
      at: 200,
      name: '李娜',
      temperatureTenths: 381,
      decision: 'flagged',
    });
    const offline = { ...d, reading: { ...reading, realtime: false } } as unknown as DecisionMessage;
    expect(fromDecision(tiles, offline)[0]?.lastPassage?.at).toBe(100);
  });

  it('follows the fleet (online, thermometer) and notices new gates', () => {
    const r = fromFleet(tiles, {
      gates: [
        { gateId: 'gate-a', online: false, thermometer: 'offline' },
        { gateId: 'gate-b', online: true },
      ],
    });
    expect(r.gates[0]).toMatchObject({ online: false, thermometer: 'offline', passedToday: 4 });
    expect(r.unknown).toBe(true);
  });

  it("carries the gate's terminal as its driver reports it (ISAPI deviceInfo), none for an MQTT terminal", () => {
    const isapi = {
      protocol: 'hik-isapi',
      online: true,
      model: 'DS-K1T671TM-3XF',
      serialNumber: 'DS-K1T671TM-3XF20230101V030200ENF12345678',
      firmwareVersion: 'V3.2.0 build 230101',
    };
    const [a, b] = asGateTiles([
      { gateId: 'gate-a', terminalId: 'T1', terminal: isapi },
      { gateId: 'gate-b', terminalId: 'T2', terminal: null },
    ]);
    expect(a?.terminal).toEqual(isapi);
    expect(b?.terminal).toBeNull();
    // A fleet snapshot updates it; one without the field keeps what was known.
    const newer = { ...isapi, firmwareVersion: 'V3.3.0 build 240601' };
    const r = fromFleet([a as GateTile], { gates: [{ gateId: 'gate-a', online: true, terminal: newer }] });
    expect(r.gates[0]?.terminal?.firmwareVersion).toBe('V3.3.0 build 240601');
    const kept = fromFleet(r.gates, { gates: [{ gateId: 'gate-a', online: true }] });
    expect(kept.gates[0]?.terminal?.model).toBe('DS-K1T671TM-3XF');
  });

  it("says in Chinese whether the terminal's person list is in line, and if not why (the terminal's code)", () => {
    const base = {
      lastSyncAt: 1,
      listVersion: 7,
      pending: 0,
      terminalPersons: 120,
      errorCode: null,
      statusCode: null,
      subStatusCode: null,
      outOfSyncSince: null,
    };
    const zh = (ps: Parameters<typeof personSyncLine>[0]) => {
      const { key, params } = personSyncLine(ps);
      return translate(TABLES.zh, key, params);
    };
    expect(zh({ ...base, state: 'in-sync' })).toBe('人员名单已同步（名单版本 7，终端 120 人）');
    const refused = zh({
      ...base,
      state: 'retrying',
      pending: 2,
      errorCode: 'TG_ISAPI_REFUSED',
      statusCode: 6,
      subStatusCode: 'badParameters',
      outOfSyncSince: 1,
    });
    expect(refused).toContain('未同步');
    expect(refused).toContain('2 项');
    expect(refused).toContain('6/badParameters');
    expect(zh({ ...base, state: 'waiting', listVersion: null, pending: null })).toContain('等待');
  });
});

describe('HR log and admin helpers', () => {
  it('marks missing half-days and finds the day’s highest', () => {
    const log = asPersonLog(
      {
        employeeNo: 'E1',
        name: '张伟',
        days: [
          {
            day: '2024-03-05',
            morning: { at: 1, temperatureTenths: 366, gateId: 'gate-a', source: 'gate-thermometer' },
            afternoon: null,
          },
          { day: '2024-03-06', morning: null, afternoon: null },
        ],
      },
      'E1',
    );
    expect(log.days.map((d) => d.status)).toEqual(['afternoon-missing', 'absent']);
    expect(log.days[0]?.highestTenths).toBe(366);
    expect(log.points).toEqual([{ at: 1, tenths: 366 }]);
  });

  it('says per-line import errors from their problem codes, never the server’s English', () => {
    expect(
      lineErrors({
        code: 'TG_DASH_ACCESS_LIST_INVALID',
        errors: [
          { line: 4, problem: 'bad-kind', field: 'kind', params: { value: 'robot' }, message: 'kind must…' },
        ],
      }),
    ).toEqual([{ line: 4, message: '类型应为“员工”或“访客”，实际为“robot”' }]);
    // Without a code (an older hub's { where, reason }): a general sentence with the line.
    expect(
      lineErrors({
        code: 'X',
        issues: [{ where: '3', reason: 'kind must be employee or visitor' }],
        errors: undefined,
      }),
    ).toEqual([{ line: 3, message: '该行有误，请检查该行内容' }]);
  });

  it('shows an access list validity as the days HR wrote', () => {
    // 2026-12-31 valid until its end = 2027-01-01T00:00 Shanghai = 2026-12-31T16:00Z.
    expect(fmtValidity(Date.UTC(2026, 11, 31, 16, 0), 'until', 'Asia/Shanghai')).toBe('2026-12-31');
    expect(fmtValidity(Date.UTC(2026, 0, 1, -8, 0), 'from', 'Asia/Shanghai')).toBe('2026-01-01');
    expect(fmtValidity(Date.UTC(2026, 0, 1, 1, 30), 'from', 'Asia/Shanghai')).toBe('2026-01-01 09:30');
    expect(fmtValidity(null, 'until', 'Asia/Shanghai')).toBe('');
  });

  it('reads room distances', () => {
    expect(parseDistances('gate-a=30, gate-b: 120')).toEqual({ 'gate-a': 30, 'gate-b': 120 });
    expect(parseDistances('')).toEqual({});
    expect(parseDistances('gate a=3')).toBeNull();
    expect(formatDistances({ 'gate-a': 30 })).toBe('gate-a=30');
  });
});
