/**
 * Issue 17, on real sockets (the real hub, a real edge daemon, the simulated terminal): a terminal
 * whose clock is 8 h or 5 s off keeps its gate working and raises `terminal-clock`; an event the
 * broker held while the gate was away is recorded as late and opens nothing.
 */
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertMessage, DecisionMessage } from '../../protocols/gate/messages.ts';
import { waitFor } from '../harness/wait.ts';
import { SITE, startGate, startTestHub, type TestGate, type TestHub, tempDir } from '../hub/fixture.ts';

const HOUR = 3600_000;

describe('terminal clocks on a real site', () => {
  let t: TestHub;
  let obs: mqtt.MqttClient;
  const alerts: AlertMessage[] = [];
  const decisions: DecisionMessage[] = [];
  const dir = tempDir('tg-site-tclock-');

  beforeAll(async () => {
    t = await startTestHub({}, { dir });
    obs = await mqtt.connectAsync(t.url, { ...t.as('svc'), clientId: 'svc-obs', reconnectPeriod: 200 });
    obs.on('message', (topic, p) => {
      if (topic.endsWith('/alert')) alerts.push(JSON.parse(p.toString()) as AlertMessage);
      if (topic.endsWith('/decision')) decisions.push(JSON.parse(p.toString()) as DecisionMessage);
    });
    await obs.subscribeAsync(`tg/${SITE}/gate/+/+`, { qos: 1 });
  });
  afterAll(async () => {
    await obs?.endAsync();
    await t?.close();
  });

  it.each([
    ['gate-a', 'T1', 8 * HOUR],
    ['gate-b', 'T2', 5000],
  ])('%s: its terminal %s, %i ms behind, is answered, lets people through, and raises terminal-clock', async (gateId, terminalId, offsetMs) => {
    const g: TestGate = await startGate({ url: t.url, passwords: t.passwords }, gateId, terminalId, dir, {
      policy: { accessListRequired: false },
    }, { clock: () => Date.now() - offsetMs });
    try {
      let n = 0;
      const present = () => g.terminal.present({ employeeNo: `P${++n}`, name: '张伟', mask: 'yes', temperatureTenths: 365 });
      // Right after the gate connects it cannot tell this terminal's events from a broker's
      // backlog; it answers them (no opening) until the link has settled. Then everyone passes.
      await waitFor(async () => (await present()).opened, { what: 'a person let through', timeoutMs: 20_000, intervalMs: 200 });
      for (let i = 0; i < 3; i++) {
        const r = await present();
        expect(r.verdict).toMatchObject({ checkResult: 'success', open: true });
      }
      await waitFor(() => alerts.find((a) => a.gateId === gateId && a.kind === 'terminal-clock' && a.active), {
        what: 'terminal-clock alert',
      });
      expect(g.edge.gate.status(true).terminalClockOffsetMs).toBeGreaterThan(offsetMs - 1000);
      expect(g.edge.gate.status(true).terminalClockOffsetMs).toBeLessThan(offsetMs + 1000);
    } finally {
      await g.stop();
    }
  });

  it('an event the broker held while the gate was down is recorded as late and opens nothing', async () => {
    const g = await startGate({ url: t.url, passwords: t.passwords }, 'gate-a', 'T1', dir, {
      policy: { accessListRequired: false },
    }, { remoteCheckTimeoutMs: 500 });
    await waitFor(async () => (await g.terminal.present({ employeeNo: 'W1', name: 'x', mask: 'yes', temperatureTenths: 365 })).opened, {
      what: 'gate serving',
      timeoutMs: 20_000,
      intervalMs: 200,
    });
    // The gate goes away; its persistent session keeps what the terminal sends meanwhile.
    await g.edge.stop();
    const held = await g.terminal.present({ employeeNo: 'H1', name: '李娜', mask: 'yes', temperatureTenths: 364 });
    expect(held.timedOut).toBe(true);
    // Back after the terminal's deadline (3 s) has long passed for that event.
    await waitFor(() => Date.now() - Date.parse(held.event.dateTime) > 3500, {
      what: 'the held event past its deadline',
      timeoutMs: 10_000,
    });
    const again = await startGate({ url: t.url, passwords: t.passwords }, 'gate-a', 'T1', dir, {
      policy: { accessListRequired: false },
    });
    try {
      const d = await waitFor(() => decisions.find((x) => x.reading.terminalSerialNo === held.serialNo && x.reading.gateId === 'gate-a' && x.reading.employeeNo === 'H1'), {
        what: 'the held event decided',
        timeoutMs: 20_000,
      });
      expect(d.reading, JSON.stringify(d.reading)).toMatchObject({ decision: 'denied', reason: 'late', released: false });
    } finally {
      await again.stop();
      await g.terminal.stop();
    }
  });
});
