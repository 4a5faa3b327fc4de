/**
 * Persistent sessions do not outlive their devices (issue #20): a session idle past
 * limits.sessionExpiryDays is dropped with its subscriptions and queued QoS 1 messages, and a
 * revoked device's session and queue are dropped as soon as the hub reads the credentials file.
 * The real hub in-process, real MQTT clients; the hub's clock is injected and moved forward by
 * days instead of sleeping (its tick still runs on real timers, so the test waits on the outcome).
 */
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { CredentialsStore } from '../../hub/auth/credentials.ts';
import { offsetClock } from '../../kernel/clock.ts';
import { waitFor } from '../harness/wait.ts';
import { closed, connect, startTestHub, type TestHub } from './fixture.ts';

const DAY = 86_400_000;
let t: TestHub | undefined;
const open: MqttClient[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) c.end(true);
  await t?.close();
  t = undefined;
});

/** Connects with clean session = 0; resolves with the client and the CONNACK's sessionPresent. */
async function persistent(hub: TestHub, id: string): Promise<{ c: MqttClient; sessionPresent: boolean }> {
  let sessionPresent: boolean | undefined;
  const c = await connect(hub.url, hub.as(id, { clean: false }), (client) =>
    client.once('connect', (p) => {
      sessionPresent = p.sessionPresent;
    }),
  );
  open.push(c);
  return { c, sessionPresent: sessionPresent as boolean };
}

/**
 * A terminal leaves a persistent session subscribed to its verdicts, then goes away; resolves once
 * the hub has seen it go (its disconnect is what dates the session), i.e. `stillConnected` remain.
 */
async function leaveSession(hub: TestHub, id: string, stillConnected = 0): Promise<void> {
  const { c } = await persistent(hub, id);
  await c.subscribeAsync(`face/${id}/verdict`, { qos: 1 });
  c.end();
  await waitFor(() => hub.hub.connectedClients() === stillConnected, { what: `the hub saw ${id} go` });
}

/** The gate queues `n` QoS 1 verdicts for its (offline) terminal. */
async function queueVerdicts(hub: TestHub, gateId: string, terminal: string, n: number): Promise<void> {
  const gate = await connect(hub.url, hub.as(gateId));
  for (let i = 0; i < n; i++) await gate.publishAsync(`face/${terminal}/verdict`, `v${i}`, { qos: 1 });
  gate.end(true);
  await closed(gate);
}

describe('session expiry', () => {
  it('drops a session idle past the expiry with its queue, keeps a younger one', async () => {
    let offset = 0;
    t = await startTestHub({ limits: { sessionExpiryDays: 7 } }, { clock: offsetClock(() => offset) });
    const hub = t;

    await leaveSession(hub, 'T1');
    await queueVerdicts(hub, 'gate-a', 'T1', 5);
    expect(hub.hub.queuedMessages()).toBe(5);

    // Six days later T2 leaves its own session and gets 3 verdicts queued.
    offset = 6 * DAY;
    await leaveSession(hub, 'T2');
    await queueVerdicts(hub, 'gate-b', 'T2', 3);
    expect(hub.hub.queuedMessages()).toBe(8);

    // Eight days after T1 left, two after T2: only T1's session is past the 7 days.
    offset = 8 * DAY;
    await waitFor(() => hub.hub.queuedMessages() === 3, {
      what: "T1's 5 queued verdicts dropped by the expiry sweep",
    });

    // T1 comes back to no session: nothing queued, nothing subscribed (a new verdict is not queued).
    const got: string[] = [];
    const back = await persistent(hub, 'T1');
    back.c.on('message', (_topic, p) => got.push(p.toString()));
    expect(back.sessionPresent).toBe(false);
    back.c.end(true);
    await closed(back.c);
    await queueVerdicts(hub, 'gate-a', 'T1', 1);
    expect(got).toEqual([]);

    // T2 still has its session and gets its 3 verdicts.
    const t2got: string[] = [];
    let t2Present: boolean | undefined;
    const t2 = await connect(hub.url, hub.as('T2', { clean: false }), (c) => {
      c.once('connect', (p) => {
        t2Present = p.sessionPresent;
      });
      c.on('message', (_topic, p) => t2got.push(p.toString()));
    });
    open.push(t2);
    expect(t2Present).toBe(true);
    await waitFor(() => t2got.length === 3, { what: "T2's 3 queued verdicts delivered" });
    expect(t2got).toEqual(['v0', 'v1', 'v2']);
  });

  it('a client connected all along keeps its session, however long ago it connected', async () => {
    let offset = 0;
    t = await startTestHub({ limits: { sessionExpiryDays: 1 } }, { clock: offsetClock(() => offset) });
    const hub = t;
    const { c } = await persistent(hub, 'T1');
    await c.subscribeAsync('face/T1/verdict', { qos: 1 });
    // A disconnected session left at the same time is the witness that sweeps ran at the new time.
    await leaveSession(hub, 'T2', 1);
    await queueVerdicts(hub, 'gate-b', 'T2', 2);
    expect(hub.hub.queuedMessages()).toBe(2);
    offset = 30 * DAY;
    await waitFor(() => hub.hub.queuedMessages() === 0, { what: "T2's queue expired" });
    const got: string[] = [];
    c.on('message', (_topic, p) => got.push(p.toString()));
    await queueVerdicts(hub, 'gate-a', 'T1', 1);
    await waitFor(() => got.length === 1, { what: 'T1 still subscribed' });
  });
});

describe('revocation', () => {
  it("purges a revoked device's session and queued QoS 1 messages at once", async () => {
    t = await startTestHub({ limits: { sessionExpiryDays: 7 } });
    const hub = t;
    await leaveSession(hub, 'T1');
    await leaveSession(hub, 'T2');
    await queueVerdicts(hub, 'gate-a', 'T1', 2);
    await queueVerdicts(hub, 'gate-b', 'T2', 4);
    expect(hub.hub.queuedMessages()).toBe(6);

    new CredentialsStore(hub.credentialsFile).load().revoke('T2');
    await waitFor(() => hub.hub.queuedMessages() === 2, {
      what: "T2's 4 queued verdicts purged on revocation",
      timeoutMs: 3000,
    });
    // Its subscription went with it: new verdicts for T2 are not queued any more.
    await queueVerdicts(hub, 'gate-b', 'T2', 1);
    expect(hub.hub.queuedMessages()).toBe(2);
  });
});
