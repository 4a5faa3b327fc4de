/**
 * Fleet status with real gates (edge daemon + simulated terminal): online state and versions from
 * status and heartbeats, `gate-offline` alerts when a gate or terminal goes silent, cleared when it
 * comes back, and the retained snapshot on tg/{site}/fleet.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertMessage } from '../../protocols/gate/messages.ts';
import { FleetSnapshot } from '../../protocols/hub/fleet.ts';
import { ManualClock } from '../../kernel/clock.ts';
import { HubTopic } from '../../protocols/topics.ts';
import { waitFor } from '../harness/wait.ts';
import { collector, connect, SITE, startGate, startTestHub, type TestGate, type TestHub } from './fixture.ts';

let t: TestHub;
let gate: TestGate;
let dash: MqttClient;
let seen: { topic: string; payload: string }[];
const alerts = () =>
  seen.filter((m) => m.topic.endsWith('/alert')).map((m) => JSON.parse(m.payload) as AlertMessage);

beforeAll(async () => {
  t = await startTestHub({ fleet: { heartbeatTimeoutMs: 2500, publishIntervalMs: 100 } });
  dash = await connect(t.url, t.as('dash'));
  seen = (await collector(dash, `tg/${SITE}/#`)).got;
  gate = await startGate(t, 'gate-a', 'T1', t.dir);
}, 30_000);
afterAll(async () => {
  dash?.end(true);
  await gate?.stop();
  await t?.close();
});

describe('fleet status', () => {
  it('shows a running gate online with its versions, and its terminal', async () => {
    const g = await waitFor(
      () => {
        const s = t.hub.fleet.snapshot().gates.find((x) => x.gateId === 'gate-a');
        return s?.online && s.lastHeartbeatAt !== null ? s : undefined;
      },
      { what: 'gate-a online with a heartbeat' },
    );
    expect(g).toMatchObject({
      softwareVersion: '0.1.0',
      thermometer: 'none',
      gateState: 'locked',
      terminalId: 'T1',
      outbox: { depth: expect.any(Number) },
    });
    expect(t.hub.fleet.snapshot().terminals.find((x) => x.terminalId === 'T1')).toMatchObject({
      online: true,
      gateId: 'gate-a',
    });
    // gate-b is in the credentials file but has never connected.
    expect(t.hub.fleet.snapshot().gates.find((x) => x.gateId === 'gate-b')).toMatchObject({
      online: false,
      offlineReason: 'never-seen',
    });
    await waitFor(
      () =>
        seen.find(
          (m) =>
            m.topic === HubTopic.fleet(SITE) &&
            FleetSnapshot.parse(JSON.parse(m.payload)).gates.some((x) => x.gateId === 'gate-a' && x.online),
        ),
      {
        what: 'retained fleet snapshot with gate-a online',
      },
    );
  });

  it('records the last decision time', async () => {
    const r = await gate.terminal.present({
      employeeNo: 'E9',
      name: 'x',
      mask: 'yes',
      temperatureTenths: 365,
    });
    expect(r.verdict).toBeDefined();
    await waitFor(() => t.hub.fleet.snapshot().gates.find((x) => x.gateId === 'gate-a')?.lastDecisionAt, {
      what: 'lastDecisionAt',
    });
  });

  it('a terminal that drops off raises an alert on its gate, cleared when it is back', async () => {
    await gate.terminal.crash();
    const raised = await waitFor(() => alerts().find((a) => a.active && a.detail.includes('T1')), {
      what: 'terminal alert',
    });
    // The terminal's condition, not the gate's: receivers pair raise and clear on this (protocols).
    expect(raised).toMatchObject({
      kind: 'gate-offline',
      gateId: 'gate-a',
      severity: 'major',
      device: { kind: 'terminal', id: 'T1' },
    });
    expect(t.hub.fleet.snapshot().activeAlerts.map((a) => a.id)).toContain(raised.id);
    await gate.terminal.start();
    await gate.terminal.waitOnline();
    const cleared = await waitFor(() => alerts().find((a) => !a.active && a.id === raised.id), {
      what: 'terminal alert cleared',
    });
    expect(cleared.detail).toContain('back online');
    expect(cleared.device).toEqual({ kind: 'terminal', id: 'T1' });
    expect(t.hub.fleet.snapshot().activeAlerts).toEqual([]);
  });

  it('a gate whose connection dies is offline by its last will, with an alert; back online clears it', async () => {
    await gate.edge.link.stop({ graceful: false });
    const raised = await waitFor(
      () => alerts().find((a) => a.active && a.detail === 'gate gate-a offline (last-will)'),
      { what: 'gate-offline alert' },
    );
    expect(raised.gateId).toBe('gate-a');
    expect(t.hub.fleet.snapshot().gates.find((x) => x.gateId === 'gate-a')).toMatchObject({
      online: false,
      offlineReason: 'last-will',
    });
    await gate.stop();
    gate = await startGate(t, 'gate-a', 'T1', t.dir);
    await waitFor(() => alerts().find((a) => !a.active && a.id === raised.id), {
      what: 'gate-offline cleared',
    });
    expect(t.hub.fleet.snapshot().gates.find((x) => x.gateId === 'gate-a')?.online).toBe(true);
  }, 20_000);

  it('a gate stopped cleanly says so', async () => {
    await gate.stop();
    await waitFor(
      () => t.hub.fleet.snapshot().gates.find((x) => x.gateId === 'gate-a')?.offlineReason === 'stopped',
      { what: 'gate-a stopped' },
    );
    gate = await startGate(t, 'gate-a', 'T1', t.dir);
  });

  // Last: T2's alerts must not be taken for the other cases' alerts.
  it('a terminal status sent quoted ("online", as some firmwares do) counts like the bare word', async () => {
    // T2 has no gate here: it speaks for itself, as a terminal with its own credentials.
    const t2 = await connect(t.url, t.as('T2'));
    try {
      await t2.publishAsync('face/T2/status', '"online"', { qos: 1, retain: true });
      await waitFor(() => t.hub.fleet.snapshot().terminals.find((x) => x.terminalId === 'T2')?.online, {
        what: 'T2 online in the fleet',
      });
      await t2.publishAsync('face/T2/status', '"offline"', { qos: 1, retain: true });
      await waitFor(
        () => t.hub.fleet.snapshot().terminals.find((x) => x.terminalId === 'T2')?.online === false,
        {
          what: 'T2 offline in the fleet',
        },
      );
    } finally {
      t2.end(true);
    }
  });
});

describe("fleet status on the hub's clock (a manual clock: no real-time waits)", () => {
  it('a gate that goes silent without a will is offline after the heartbeat timeout, not before', async () => {
    const clock = new ManualClock();
    const h = await startTestHub({ fleet: { heartbeatTimeoutMs: 2500, publishIntervalMs: 100 } }, { clock });
    let c: MqttClient | undefined;
    try {
      // The fleet's alerts as the hub hands them to its publisher (their publication is covered in
      // real time above: the broker's own delivery is not driven by this clock).
      const raised: AlertMessage[] = [];
      h.hub.fleet.onAlert(({ alert }) => raised.push(alert));
      // A bare client with gate-b's credentials: says online, then nothing (a hung edge).
      c = await connect(h.url, h.as('gate-b'));
      await c.publishAsync(
        `tg/${SITE}/gate/gate-b/status`,
        JSON.stringify({
          v: 1,
          siteId: SITE,
          gateId: 'gate-b',
          online: true,
          at: clock.now(),
          thermometer: 'online',
          gateState: 'locked',
          softwareVersion: '0.1.0',
          configVersion: 'abc',
          accessListVersion: null,
        }),
        { qos: 1, retain: true },
      );
      const gateB = () => h.hub.fleet.snapshot().gates.find((x) => x.gateId === 'gate-b');
      await waitFor(() => gateB()?.online, { what: 'gate-b online' });
      // The hub checks every min(1 s, timeout / 4) = 625 ms: silent for 2.5 s is still online, the
      // first check after more than 2.5 s (at 3125 ms) takes it offline.
      clock.advance(2500);
      expect(gateB()?.online, 'offline before the heartbeat timeout').toBe(true);
      expect(raised).toEqual([]);
      clock.advance(625);
      expect(gateB()?.online).toBe(false);
      expect(gateB()?.offlineReason).toBe('heartbeat-timeout');
      expect(raised).toEqual([
        expect.objectContaining({
          gateId: 'gate-b',
          kind: 'gate-offline',
          active: true,
          detail: 'gate gate-b offline (heartbeat-timeout)',
        }),
      ]);
    } finally {
      c?.end(true);
      await h.close();
    }
  });
});
