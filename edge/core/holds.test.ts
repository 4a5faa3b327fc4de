/**
 * The gate's side of person holds (issue 17): a fever this gate flags holds the person here at
 * once, with no hub; the hub's list, once it names that reading, speaks for the hold (lifted or
 * not); both survive a restart (persisted); a gate that never heard of a hub lets its own flags
 * expire. Held people are refused at any temperature and told where to go.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HoldsSnapshot, PersonHold } from '../../protocols/site/holds.ts';
import { SiteHolds } from './holds.ts';
import { testGate } from '../../test/doubles/edge/gate-io.ts';
import { personHold } from '../../test/doubles/site/person-hold.ts';

const HOUR = 3600_000;
const hold = personHold;
const snapshot = (version: number, entries: PersonHold[]): HoldsSnapshot => ({
  v: 1,
  version,
  issuedAt: 0,
  entries,
});

function gateWithHolds(dir = mkdtempSync(join(tmpdir(), 'tg-holds-'))) {
  const holds = new SiteHolds(join(dir, 'holds.json'), join(dir, 'local.json'), 24 * HOUR);
  holds.load();
  const t = testGate({ terminal: { temperatureSource: 'terminal' }, holds });
  const event = (serialNo: number, employeeNo: string, celsius: number) =>
    JSON.stringify({
      serialNo,
      dateTime: new Date(t.clock.now()).toISOString(),
      employeeNoString: employeeNo,
      name: '张伟',
      similarity: 0.93,
      mask: 'yes',
      currTemperature: celsius,
      thermometryUnit: 'celsius',
      remoteCheck: true,
      isRealtime: true,
    });
  return { ...t, holds, dir, event };
}

describe('person holds at the gate', () => {
  it('a fever this gate flags refuses the person at once at a normal temperature, with no hub at all', async () => {
    const t = gateWithHolds();
    const fever = await t.gate.onFaceEvent(t.event(1, 'E1', 38.2));
    expect(fever?.record).toMatchObject({
      decision: 'flagged',
      released: false,
      thresholdTenths: 373,
      policyVersion: 0,
    });
    const again = await t.gate.onFaceEvent(t.event(2, 'E1', 36.5));
    expect(again?.record).toMatchObject({ decision: 'denied', reason: 'held', released: false });
    expect(again?.verdict).toMatchObject({ checkResult: 'failed', open: false });
    expect(again?.verdict?.display).toBe('36.5°C 体温异常未解除 请前往隔离观察区');
    expect(t.io.releases).toEqual([]);
    // The guard is told a held person came back.
    expect(t.bus.on('tg/s/gate/g/alert').map((a) => (a as { kind: string }).kind)).toContain('held-person');
    // Another person is not affected.
    expect((await t.gate.onFaceEvent(t.event(3, 'E2', 36.5)))?.released).toBe(true);
  });

  it('a holds update the gate cannot read: the guard gets an alert and the status says so, until a good one arrives', async () => {
    const t = gateWithHolds();
    t.gate.lists.onHolds(JSON.stringify(snapshot(4, [])));
    t.gate.lists.onHoldsChange('{"v":1,"fromVersion":4,"toVersion":5,"upserts":[{"employeeNo":');
    const alerts = () =>
      t.bus.on('tg/s/gate/g/alert') as Array<{ kind: string; active: boolean; severity: string }>;
    expect(alerts().filter((a) => a.kind === 'site-list-rejected')).toEqual([
      expect.objectContaining({ active: true, severity: 'major' }),
    ]);
    t.clock.advance(60_000);
    const statuses = () => t.bus.on('tg/s/gate/g/status') as Array<{ listsRejected: string[] }>;
    expect(statuses().at(-1)?.listsRejected).toEqual(['holds']);
    t.gate.lists.onHolds(JSON.stringify(snapshot(5, [hold({ employeeNo: 'E1' })])));
    expect(
      alerts()
        .filter((a) => a.kind === 'site-list-rejected')
        .map((a) => a.active),
    ).toEqual([true, false]);
    t.clock.advance(60_000);
    expect(statuses().at(-1)?.listsRejected).toEqual([]);
    expect((await t.gate.onFaceEvent(t.event(1, 'E1', 36.5)))?.record?.reason).toBe('held');
  });

  it('the flag survives a restart of the gate', async () => {
    const t = gateWithHolds();
    await t.gate.onFaceEvent(t.event(1, 'E1', 38.2));
    const restarted = gateWithHolds(t.dir);
    expect((await restarted.gate.onFaceEvent(restarted.event(7, 'E1', 36.5)))?.record?.reason).toBe('held');
  });

  it('once the hub lists the reading, the hub speaks for the hold: lifted means the person passes', async () => {
    const t = gateWithHolds();
    const fever = await t.gate.onFaceEvent(t.event(1, 'E1', 38.2));
    const readingId = fever?.record?.id as string;
    // The hub has not seen this fever yet (an older episode, lifted): the gate's own flag stands.
    t.gate.lists.onHolds(
      JSON.stringify(snapshot(3, [hold({ employeeNo: 'E1', state: 'lifted', readingIds: ['s:g:0'] })])),
    );
    expect((await t.gate.onFaceEvent(t.event(2, 'E1', 36.5)))?.record?.reason).toBe('held');
    // The hub opened the hold on this reading: still refused.
    t.gate.lists.onHolds(JSON.stringify(snapshot(4, [hold({ employeeNo: 'E1', readingIds: [readingId] })])));
    expect((await t.gate.onFaceEvent(t.event(3, 'E1', 36.5)))?.record?.reason).toBe('held');
    expect(t.holds.localFlags).toBe(0);
    // Lifted after a normal contact re-check: passes.
    t.gate.lists.onHoldsChange(
      JSON.stringify({
        v: 1,
        fromVersion: 4,
        toVersion: 5,
        issuedAt: 0,
        upserts: [
          hold({ employeeNo: 'E1', readingIds: [readingId], state: 'lifted', liftReason: 'recheck-normal' }),
        ],
        removals: [],
      }),
    );
    expect(t.holds.version).toBe(5);
    expect((await t.gate.onFaceEvent(t.event(4, 'E1', 36.5)))?.record).toMatchObject({
      decision: 'pass',
      released: true,
    });
  });

  it('a held person is told the room their hold names, and “sent home” says a certificate is needed', async () => {
    const t = gateWithHolds();
    t.gate.lists.onHolds(
      JSON.stringify(
        snapshot(1, [
          hold({ employeeNo: 'E1', room: { id: 'R2', name: '隔离室2' } }),
          hold({ employeeNo: 'E3', stage: 'sent-home' }),
        ]),
      ),
    );
    const e1 = await t.gate.onFaceEvent(t.event(1, 'E1', 36.6));
    expect(e1?.verdict?.display).toBe('36.6°C 体温异常未解除 请前往隔离室2');
    // The guard's card shows the room the gate named.
    expect(t.bus.on('tg/s/gate/g/decision')[0]).toMatchObject({
      isolationRoom: 'R2',
      isolationRoomName: '隔离室2',
    });
    const e3 = await t.gate.onFaceEvent(t.event(2, 'E3', 36.6));
    expect(e3?.verdict?.display).toBe('36.6°C 请持医院健康证明返岗 禁止通行');
  });

  it('without any hub, a gate’s own flag expires after localHoldExpiryMs; with a hub it waits for the hub', async () => {
    const alone = gateWithHolds();
    await alone.gate.onFaceEvent(alone.event(1, 'E1', 38.2));
    alone.clock.advance(25 * HOUR);
    expect((await alone.gate.onFaceEvent(alone.event(2, 'E1', 36.5)))?.record?.decision).toBe('pass');

    const withHub = gateWithHolds();
    withHub.gate.lists.onHolds(JSON.stringify(snapshot(1, [])));
    await withHub.gate.onFaceEvent(withHub.event(1, 'E1', 38.2));
    withHub.clock.advance(25 * HOUR);
    expect((await withHub.gate.onFaceEvent(withHub.event(2, 'E1', 36.5)))?.record?.reason).toBe('held');
  });

  it('an offline record of a fever holds the person too (it is a flag), and never actuates', async () => {
    const t = gateWithHolds();
    const offline = JSON.stringify({
      ...JSON.parse(t.event(1, 'E1', 38.4)),
      isRealtime: false,
      remoteCheck: false,
    });
    expect((await t.gate.onFaceEvent(offline))?.record).toMatchObject({
      decision: 'flagged',
      released: false,
    });
    expect((await t.gate.onFaceEvent(t.event(2, 'E1', 36.5)))?.record?.reason).toBe('held');
  });
});

describe('site policy at the gate', () => {
  it('a new policy version changes the threshold, and every reading carries the version and threshold it was decided with', async () => {
    const t = gateWithHolds();
    expect((await t.gate.onFaceEvent(t.event(1, 'E1', 37.4)))?.record).toMatchObject({
      decision: 'flagged',
      policyVersion: 0,
      thresholdTenths: 373,
    });
    t.gate.lists.onPolicy(
      JSON.stringify({
        v: 1,
        version: 2,
        issuedAt: 1,
        issuedBy: 'admin:a',
        rules: {
          feverThresholdTenths: 375,
          plausibleMinTenths: 340,
          plausibleMaxTenths: 420,
          maskRequired: false,
          healthCodeRequired: false,
          accessListRequired: false,
          minSimilarity: 0,
        },
        calendar: {
          workingDays: [1, 2, 3, 4, 5],
          holidays: [],
          extraWorkingDays: [],
          afternoonFrom: '12:00',
        },
      }),
    );
    expect(t.gate.status(true)).toMatchObject({ policyVersion: 2 });
    expect((await t.gate.onFaceEvent(t.event(2, 'E2', 37.4)))?.record).toMatchObject({
      decision: 'pass',
      policyVersion: 2,
      thresholdTenths: 375,
    });
    // An older version arriving late changes nothing.
    t.gate.lists.onPolicy(
      JSON.stringify({ v: 1, version: 1, issuedAt: 0, issuedBy: 'x', rules: {}, calendar: {} }),
    );
    expect(t.gate.status(true).policyVersion).toBe(2);
  });

  it('a gate whose config overrides a site rule says so in its status, and the override wins', async () => {
    const t = testGate({
      terminal: { temperatureSource: 'terminal' },
      policy: { feverThresholdTenths: 380 },
    });
    expect(t.gate.status(true).policyOverrides).toEqual([
      'accessListRequired',
      'feverThresholdTenths',
      'maskRequired',
    ]);
    const ev = JSON.stringify({
      serialNo: 1,
      dateTime: new Date(t.clock.now()).toISOString(),
      employeeNoString: 'E1',
      similarity: 0.9,
      mask: 'yes',
      currTemperature: 37.6,
      thermometryUnit: 'celsius',
      remoteCheck: true,
      isRealtime: true,
    });
    expect((await t.gate.onFaceEvent(ev))?.record).toMatchObject({ decision: 'pass', thresholdTenths: 380 });
  });
});
