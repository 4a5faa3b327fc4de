/**
 * The whole chain of one gate, on real wires: simulated thermometer on a socat pty → edge
 * (real serialport) → decision → simulated release line over TCP and verdict over MQTT.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/wait.ts';
import { measuredByEdge, PEOPLE, type Site, startSite } from './site-fixture.ts';

const [E1, E2, E3, E4] = PEOPLE as [
  (typeof PEOPLE)[0],
  (typeof PEOPLE)[0],
  (typeof PEOPLE)[0],
  (typeof PEOPLE)[0],
];
let site: Site;

beforeAll(async () => {
  site = await startSite();
}, 30_000);
afterAll(async () => {
  await site?.close();
});

const measured = (tenths: number) => measuredByEdge(site.edge, site.thermometer, tenths);

/**
 * A person steps up: the thermometer measures them, then the terminal recognises them. Whether the
 * turnstile was released is read from the gate's own output stream, in order: the gate writes the
 * release before the lamp of the same decision (gate.ts actuates, then signals), so the changes up
 * to that lamp say it for certain. (Waiting 150-200 ms for "no release" proved nothing on a busy
 * machine.)
 */
async function pass(
  person: { employeeNo: string; name: string; mask?: 'yes' | 'no' },
  tenths: number,
  o: { fireAlarm?: boolean } = {},
) {
  // The previous person's pulse and lamps must be over, or new ones would not show as changes.
  // (Under a fire alarm every output is held in its released state: nothing to wait for.)
  if (!o.fireAlarm)
    for (const line of ['release', 'green', 'red'] as const)
      if (site.gpio.output(line) === 1) expect(await site.gpio.waitForOutput(line, 0, 5000)).toBe(true);
  expect((await measured(tenths)).completed).toBe(true);
  const cursor = site.gpio.cursor();
  const result = await site.terminal.present({ mask: 'yes', ...person });
  site.thermometer.leave();
  const decision = await site.decisionFor(result.serialNo);
  const released = o.fireAlarm
    ? site.gpio.output('release') === 1
    : await releasedFor(decision.reading.decision, cursor);
  return { result, decision, released };
}

/** Whether a release came before the lamp of this decision (see pass()). */
async function releasedFor(decision: string, cursor: number): Promise<boolean> {
  const lamp = decision === 'pass' ? 'green' : 'red';
  expect(await site.gpio.waitForOutput(lamp, 1, 5000, { after: cursor }), `${lamp} lamp`).toBe(true);
  const changes = site.gpio.history().slice(cursor);
  const lampAt = changes.findIndex((c) => c.line === lamp && c.value === 1);
  return changes.slice(0, lampAt).some((c) => c.line === 'release' && c.value === 1);
}

describe('one gate, end to end', () => {
  it('36.6 °C: released, verdict success with the temperature', async () => {
    const { result, decision, released } = await pass(E1, 366);
    expect(result.verdict).toMatchObject({ checkResult: 'success', display: '36.6°C 体温正常 请通行' });
    expect(decision.reading).toMatchObject({
      decision: 'pass',
      temperatureTenths: 366,
      source: 'gate-thermometer',
      sensor: 'modbus-ir',
    });
    expect(released).toBe(true);
  });

  it('exactly 37.3 °C is flagged: shut, red lamp and buzzer, isolation in the verdict', async () => {
    const cursor = site.gpio.cursor();
    const { result, decision, released } = await pass(E2, 373);
    expect(decision.reading).toMatchObject({
      decision: 'flagged',
      reason: 'fever',
      temperatureTenths: 373,
      released: false,
    });
    expect(result.verdict?.checkResult).toBe('failed');
    expect(result.verdict?.display).toContain('隔离');
    expect(released).toBe(false);
    expect(await site.gpio.waitForOutput('red', 1, 1000, { after: cursor })).toBe(true);
    expect(await site.gpio.waitForOutput('buzzer', 1, 1000, { after: cursor })).toBe(true);
    await waitFor(
      () => site.messages.find((m) => m.topic.endsWith('/alert') && m.payload.includes('"fever"')),
      {
        what: 'fever alert',
      },
    );
  });

  it('37.2 °C passes', async () => {
    const { decision, released } = await pass(E3, 372);
    expect(decision.reading.decision).toBe('pass');
    expect(released).toBe(true);
  });

  it('mask missing is denied', async () => {
    const { decision, released } = await pass({ ...E4, mask: 'no' }, 365);
    expect(decision.reading).toMatchObject({ decision: 'denied', reason: 'mask-missing' });
    expect(released).toBe(false);
  });

  it('an unknown face is denied', async () => {
    const { decision, released } = await pass({ employeeNo: '', name: '' }, 365);
    expect(decision.reading).toMatchObject({ decision: 'denied', reason: 'unknown-face' });
    expect(released).toBe(false);
  });

  it('an unpaired face is asked to re-measure', async () => {
    const result = await site.terminal.present({ ...E1, mask: 'yes' });
    const decision = await site.decisionFor(result.serialNo);
    expect(decision.reading).toMatchObject({
      decision: 'remeasure',
      reason: 'no-measurement',
      temperatureTenths: null,
    });
    expect(result.verdict?.checkResult).toBe('failed');
    // The gate's word for "measure again" is not 复测 (the guard's contact re-check).
    expect(result.verdict?.display).toBe('测温无效，请重测');
  });

  it('a measurement arriving after the face event is paired', async () => {
    const presenting = site.terminal.present({ ...E1, mask: 'yes' });
    // The face event first: the gate asks for a measurement and waits for it.
    await waitFor(() => site.edge.gate.waitingEvents > 0, { what: 'the gate waiting for a measurement' });
    await site.thermometer.measure(364);
    const result = await presenting;
    site.thermometer.leave();
    const decision = await site.decisionFor(result.serialNo);
    expect(decision.reading).toMatchObject({ decision: 'pass', temperatureTenths: 364 });
    expect(decision.reading.pairingDelayMs).toBeGreaterThan(0);
  });

  it('two people in quick succession each get their own temperature', async () => {
    await measured(365);
    const first = site.terminal.present({ ...E1, mask: 'yes' });
    site.thermometer.leave();
    await measured(381);
    const second = site.terminal.present({ ...E3, mask: 'yes' });
    const [a, b] = await Promise.all([first, second]);
    site.thermometer.leave();
    expect((await site.decisionFor(a.serialNo)).reading).toMatchObject({
      employeeNo: 'E1',
      temperatureTenths: 365,
      decision: 'pass',
    });
    expect((await site.decisionFor(b.serialNo)).reading).toMatchObject({
      employeeNo: 'E3',
      temperatureTenths: 381,
      decision: 'flagged',
    });
  });

  it('sensor fault: re-measure, and an alert', async () => {
    await site.thermometer.setFault({ kind: 'sensor-fault' }, true);
    await measured(366);
    const result = await site.terminal.present({ ...E1, mask: 'yes' });
    site.thermometer.leave();
    const decision = await site.decisionFor(result.serialNo);
    expect(decision.reading.decision).toBe('remeasure');
    expect(['sensor-fault', 'no-measurement']).toContain(decision.reading.reason);
    await waitFor(
      () =>
        site.messages.find(
          (m) =>
            m.topic.endsWith('/alert') &&
            m.payload.includes('"sensor-fault"') &&
            m.payload.includes('"active":true'),
        ),
      {
        what: 'sensor-fault alert',
      },
    );
    await site.thermometer.setFault({ kind: 'sensor-fault' }, false);
    await waitFor(() => site.edge.thermometer?.state === 'online', { what: 'thermometer back online' });
  });

  it('port unplugged: offline, re-measure; plugged back: passes again', async () => {
    await site.pty.unplug();
    await waitFor(() => site.edge.thermometer?.state === 'offline', {
      what: 'thermometer offline',
      timeoutMs: 5000,
    });
    const during = await site.terminal.present({ ...E1, mask: 'yes' });
    expect((await site.decisionFor(during.serialNo)).reading).toMatchObject({
      decision: 'remeasure',
      reason: 'thermometer-offline',
    });
    await site.pty.replug();
    await waitFor(() => site.edge.thermometer?.state === 'online', {
      what: 'thermometer online again',
      timeoutMs: 10_000,
    });
    const { decision } = await pass(E1, 366);
    expect(decision.reading.decision).toBe('pass');
  }, 30_000);

  it('fire alarm: held open whatever happens, closed when it clears', async () => {
    site.gpio.setFireAlarm(true);
    expect(await site.gpio.waitForOutput('release', 1, 2000)).toBe(true);
    const cursor = site.gpio.cursor();
    const { decision } = await pass(E2, 390, { fireAlarm: true });
    expect(decision.reading).toMatchObject({ decision: 'flagged', released: true });
    // Held open throughout: the release line never dropped while the alarm lasted.
    expect(site.gpio.output('release')).toBe(1);
    expect(
      site.gpio
        .history('release')
        .slice(0)
        .filter((c) => c.value === 0 && site.gpio.history().indexOf(c) >= cursor),
    ).toEqual([]);
    site.gpio.setFireAlarm(false);
    expect(await site.gpio.waitForOutput('release', 0, 2000)).toBe(true);
  });

  it('offline uploads are stored with their own time, acknowledged, and never open the gate', async () => {
    await site.terminal.crash();
    const cached = await site.terminal.present({ ...E3, mask: 'yes' });
    expect(cached.realtime).toBe(false);
    const cursor = site.gpio.cursor();
    await site.terminal.start();
    const decision = await site.decisionFor(cached.serialNo, 10_000);
    expect(decision.reading).toMatchObject({
      realtime: false,
      released: false,
      at: Date.parse(cached.event.dateTime),
    });
    await waitFor(() => site.terminal.pendingOfflineRecords().length === 0, {
      what: 'offline record acknowledged',
    });
    expect(await site.gpio.waitForOutput('release', 1, 300, { after: cursor })).toBe(false);
  }, 20_000);
});
