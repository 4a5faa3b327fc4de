/**
 * The gate's clock check against the hub's clock: unit (fake clock, captured log) and on the real
 * hub with the real edge daemon (the hub's clock publisher, the gate ACL, the edge's subscription).
 */
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { CLOCK_SKEW_CODE, ClockCheck } from '../../edge/clock-check.ts';
import { FakeClock } from '../doubles/edge/fake-clock.ts';
import { offsetClock } from '../../kernel/clock.ts';
import { HubClock } from '../../protocols/hub/clock.ts';
import { HubTopic } from '../../protocols/topics.ts';
import { SITE, silent, startGate, startTestHub, type TestGate, tempDir } from '../hub/fixture.ts';
import { waitFor } from '../harness/wait.ts';
import { captureLogger, WARN } from './log-capture.ts';

const msg = (at: number, siteId = SITE) => JSON.stringify({ v: 1, siteId, at });

describe('ClockCheck', () => {
  const setup = (thresholdMs = 2000) => {
    const clock = new FakeClock(1_700_000_000_000);
    const { log, lines } = captureLogger();
    const check = new ClockCheck({ siteId: SITE, clock, log, thresholdMs, repeatMs: 60_000 });
    const skewWarnings = () => lines.filter((l) => l.code === CLOCK_SKEW_CODE);
    return { clock, check, lines, skewWarnings };
  };

  it('stays quiet while the clocks agree within the threshold, either way', () => {
    const { clock, check, skewWarnings } = setup();
    check.onMessage(msg(clock.now() - 2000));
    check.onMessage(msg(clock.now() + 1999));
    expect(skewWarnings()).toHaveLength(0);
    expect(check.skewMs).toBe(-1999);
    expect(check.inSync).toBe(true);
  });

  it('warns with TG_EDGE_CLOCK_SKEW, the skew and both times when the gate is off by more', () => {
    const { clock, check, skewWarnings } = setup();
    check.onMessage(msg(clock.now() - 5000)); // the hub is 5 s behind: the gate is ahead
    const [w] = skewWarnings();
    expect(w).toMatchObject({ level: WARN, skewMs: 5000, gateAt: clock.now(), hubAt: clock.now() - 5000 });
    expect(w?.msg).toContain('ahead');
    expect(check.inSync).toBe(false);
    check.onMessage(msg(clock.now() + 3000));
    expect(check.skewMs).toBe(-3000);
  });

  it('repeats the warning at most every repeatMs while the skew lasts, and says when it is over', () => {
    const { clock, check, lines, skewWarnings } = setup();
    for (let i = 0; i < 12; i++) {
      check.onMessage(msg(clock.now() + 10_000));
      clock.advance(10_000);
    }
    // 120 s of skew, one message every 10 s, repeat every 60 s: at 0, 60 s and 120 s at most.
    expect(skewWarnings().length).toBeGreaterThanOrEqual(2);
    expect(skewWarnings().length).toBeLessThanOrEqual(3);
    expect(check.warnings).toBe(skewWarnings().length);
    check.onMessage(msg(clock.now()));
    expect(check.inSync).toBe(true);
    expect(lines.at(-1)?.msg).toContain('agrees with the hub again');
    check.onMessage(msg(clock.now() - 9000));
    expect(skewWarnings().length).toBe(check.warnings); // a new episode warns at once
    expect(check.inSync).toBe(false);
  });

  it('ignores another site, bad payloads, and everything when the threshold is 0', () => {
    const { clock, check, skewWarnings } = setup();
    check.onMessage(msg(clock.now() - 60_000, 'other-site'));
    check.onMessage('not json');
    check.onMessage(JSON.stringify({ v: 1, siteId: SITE }));
    expect(check.received).toBe(0);
    expect(check.skewMs).toBeNull();
    const off = setup(0);
    off.check.onMessage(msg(off.clock.now() - 60_000));
    expect(off.skewWarnings()).toHaveLength(0);
    expect(skewWarnings()).toHaveLength(0);
  });
});

describe('the hub publishes its clock and a gate checks against it', () => {
  const started: Array<{ close(): Promise<void> } | TestGate> = [];
  afterAll(async () => {
    for (const s of started.reverse()) await ('stop' in s ? s.stop() : s.close());
  });

  it('publishes a valid, non-retained HubClock a service client can read', async () => {
    const t = await startTestHub({ clockIntervalMs: 100 });
    started.push(t);
    const c = await mqtt.connectAsync(t.url, t.as('svc'));
    const got: { retain: boolean; at: number }[] = [];
    c.on('message', (_topic, payload, packet) => {
      const r = HubClock.parse(JSON.parse(payload.toString()));
      expect(r.siteId).toBe(SITE);
      got.push({ retain: packet.retain, at: r.at });
    });
    await c.subscribeAsync(HubTopic.clock(SITE), { qos: 1 });
    await waitFor(() => got.length >= 3, { what: 'three hub clock messages', timeoutMs: 10_000 });
    expect(got.every((g) => !g.retain)).toBe(true);
    expect(Math.abs((got.at(-1)?.at ?? 0) - Date.now())).toBeLessThan(5000);
    await c.endAsync();
  });

  it('a gate whose clock agrees counts the messages and does not warn; one 5 s off warns', async () => {
    // Same hub twice: once with a true clock, once with one running 5 s behind the gates.
    for (const [offsetMs, expectWarning] of [
      [0, false],
      [-5000, true],
    ] as const) {
      const dir = tempDir();
      const t = await startTestHub({ clockIntervalMs: 100 }, { dir });
      started.push(t);
      if (offsetMs !== 0) {
        // The fixture's hub uses the system clock: restart it with a skewed clock on the same files.
        await t.hub.close();
        const { createHub } = await import('../../hub/hub.ts');
        const skewed = await createHub(t.hub.config, { log: silent, clock: offsetClock(offsetMs) });
        const { port } = await skewed.listen();
        started.push(skewed);
        t.url = `mqtt://127.0.0.1:${port}`;
      }
      const gate = await startGate(t, 'gate-a', 'T1', join(dir, 'gate'));
      started.push(gate);
      const check = gate.edge.clockCheck;
      await waitFor(() => check.received >= 3, { what: 'the gate hearing the hub clock', timeoutMs: 15_000 });
      if (expectWarning) {
        expect(check.warnings).toBeGreaterThanOrEqual(1);
        expect(check.skewMs).toBeGreaterThan(4000);
        expect(check.inSync).toBe(false);
      } else {
        expect(check.warnings).toBe(0);
        expect(check.inSync).toBe(true);
      }
      await gate.stop();
    }
  }, 60_000);
});
