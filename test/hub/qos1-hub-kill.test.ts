/**
 * docs/RELIABILITY.md, "a QoS 1 message published in the millisecond the hub is SIGKILLed": the
 * gate's MQTT link (edge/mqtt/link.ts) against the real hub process, killed under it again and
 * again, and a subscriber with a persistent session that must receive every message.
 *
 * - Deterministic: the hub is frozen (SIGSTOP) so the messages the gate publishes next are surely
 *   in flight (written, never acknowledged), then SIGKILLed and started again on its persistence.
 *   The link must send them again once it is back.
 * - At random moments: the gate publishes every 2 ms while the hub is SIGKILLed somewhere in the
 *   stream; nothing may be missing afterwards (duplicates are allowed: at least once).
 */
import { existsSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../edge/clock.ts';
import { MqttLink } from '../../edge/mqtt/link.ts';
import { canConnect, freePort } from '../harness/ports.ts';
import { spawnTracked, type Tracked, tail } from '../harness/proc.ts';
import { waitFor } from '../harness/wait.ts';
import { SITE, tempDir, writeCredentials } from './fixture.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const TOPIC = `tg/${SITE}/gate/gate-a/alert`;
/** The subscriber's client id (a persistent session): its queue is what diagnose reads. */
const OBSERVER = 'dash-qos1';
let dir: string;
let port: number;
let configFile: string;
let passwords: Record<string, string>;
let hub: Tracked | undefined;
let link: MqttLink;
let observer: MqttClient;
const received = new Map<number, number>();

async function startHub(): Promise<void> {
  const p = spawnTracked(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), join(ROOT, 'site', 'cli.ts'), '--config', configFile],
    { cwd: ROOT, env: { ...process.env, LOG_LEVEL: process.env.HUB_LOG_LEVEL ?? 'warn' } },
  );
  await waitFor(
    async () => {
      if (!p.alive()) throw new Error(`hub exited: ${tail(p.output())}`);
      return canConnect(port);
    },
    { what: 'hub process listening', timeoutMs: 20_000, intervalMs: 50 },
  );
  hub = p;
}

async function killHub(): Promise<void> {
  const p = hub as Tracked;
  p.child.kill('SIGKILL');
  await p.exited;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let next = 0;
/** n → when it was published and whether the link was connected then (for a failure's message). */
const published = new Map<number, { at: number; linkConnected: boolean }>();
const publish = (): number => {
  const n = next++;
  published.set(n, { at: Date.now(), linkConnected: link.connected });
  link.publish(TOPIC, JSON.stringify({ n }), { qos: 1 });
  return n;
};
/** The gate's QoS 1 messages not yet acknowledged (mqtt.js's outgoing store, a private field). */
const unacknowledged = (): number | '?' =>
  (link as unknown as { stores: { outgoingStore: { _inflights?: Map<unknown, unknown> } } }).stores
    .outgoingStore._inflights?.size ?? '?';

/**
 * What a failure needs to be told apart (CI failed twice on 2026-12-07 with nothing else to go on;
 * the cause, found with these and a trace: test/hub/queue-replay.test.ts): for each missing
 * message, when it was published against the kill and whether the link was up, and whether the hub
 * still holds it queued for the subscriber (then it reached the hub and was not delivered: late, or
 * stuck until the next connect) or not (never stored, or stored and deleted); the gate's
 * unacknowledged messages; and the restarted hub's log.
 */
function diagnose(miss: number[], killedAt: number, unackedAtKill: number | '?'): string {
  const file = join(dir, 'data', 'broker.sqlite');
  const db = existsSync(file) ? new Database(file, { readonly: true, fileMustExist: true }) : null;
  try {
    const queued = db?.prepare(
      'SELECT count(*) AS n FROM outgoing WHERE client_id = ? AND instr(packet, ?) > 0',
    );
    const lines = miss.slice(0, 5).map((n) => {
      const p = published.get(n);
      const rows = (queued?.get(OBSERVER, Buffer.from(JSON.stringify({ n }))) as { n: number } | undefined)
        ?.n;
      return `  ${n}: published ${p ? p.at - killedAt : '?'} ms from the kill, link ${p?.linkConnected ? 'up' : 'down'}; queued for the subscriber at the hub: ${rows ?? '?'} row(s)`;
    });
    return `\ngate's unacknowledged messages at the kill: ${unackedAtKill}, now: ${unacknowledged()}; the link's connects so far: ${link.connects}\n${lines.join('\n')}\nhub log:\n${tail((hub as Tracked).output())}`;
  } catch (e) {
    // The failure's own message must still come through.
    return `\n(no diagnosis: ${(e as Error).message})`;
  } finally {
    db?.close();
  }
}

/** Messages [from, next) not received. */
const missing = (from: number) =>
  Array.from({ length: next - from }, (_, k) => from + k).filter((n) => !received.has(n));

beforeAll(async () => {
  dir = tempDir('tg-qos1-kill-');
  port = await freePort();
  passwords = await writeCredentials(join(dir, 'credentials.json'));
  configFile = join(dir, 'hub.yaml');
  writeFileSync(
    configFile,
    [
      `siteId: ${SITE}`,
      `mqtt: { host: 127.0.0.1, port: ${port} }`,
      'credentialsFile: credentials.json',
      'persistenceDir: data',
      'limits: { publishRatePerSec: 2000, publishBurst: 4000 }',
      '',
    ].join('\n'),
  );
  await startHub();
  const url = `mqtt://127.0.0.1:${port}`;
  // mqtt.js's own reconnect (fixture.connect removes the listeners it needs for that).
  observer = mqtt.connect(url, {
    username: 'dash',
    password: passwords.dash,
    clientId: OBSERVER,
    clean: false,
    reconnectPeriod: 200,
  });
  observer.on('error', () => {});
  observer.on('message', (_t, p) => {
    const { n } = JSON.parse(p.toString()) as { n: number };
    received.set(n, (received.get(n) ?? 0) + 1);
  });
  await new Promise((r) => observer.once('connect', r));
  await observer.subscribeAsync(TOPIC, { qos: 1 });
  link = new MqttLink(
    {
      url,
      clientId: 'gate-a',
      username: 'gate-a',
      password: passwords['gate-a'] as string,
      reconnectMinMs: 100,
      reconnectMaxMs: 300,
    },
    systemClock,
    pino({ level: 'silent' }),
  );
  link.start();
  await waitFor(() => link.connected, { what: 'the link connected' });
}, 40_000);

afterAll(async () => {
  await link?.stop({ graceful: false });
  observer?.end(true);
  await hub?.stop('SIGTERM', 5000);
});

describe('QoS 1 from the gate across hub SIGKILLs', () => {
  it('messages in flight when the hub dies (frozen, then killed) are sent again and delivered', async () => {
    for (let round = 0; round < 3; round++) {
      await waitFor(() => link.connected && observer.connected, {
        what: 'both connected',
        timeoutMs: 10_000,
      });
      const from = publish();
      await waitFor(() => missing(from).length === 0, { what: 'the message before the freeze' });
      process.kill((hub as Tracked).pid, 'SIGSTOP');
      const inFlight = [publish(), publish(), publish(), publish(), publish()];
      await sleep(100); // written to the socket; the frozen hub will never acknowledge them
      expect(link.connected).toBe(true);
      const killedAt = Date.now();
      const unackedAtKill = unacknowledged();
      await killHub();
      await startHub();
      await waitFor(() => missing(from).length === 0, { what: 'delivered', timeoutMs: 10_000 }).catch(
        () => {},
      );
      // One run in about a hundred missed one message of five (the dashboard's connection dropped
      // during its queue replay: test/hub/queue-replay.test.ts); diagnose says where one went.
      const miss = missing(from);
      expect(
        miss,
        `round ${round}: in flight ${inFlight.join(',')}${miss.length ? diagnose(miss, killedAt, unackedAtKill) : ''}`,
      ).toEqual([]);
    }
  }, 90_000);

  it('a stream of messages with the hub SIGKILLed at random moments: every one delivered', async () => {
    for (let round = 0; round < 3; round++) {
      await waitFor(() => link.connected && observer.connected, {
        what: 'both connected',
        timeoutMs: 10_000,
      });
      const from = next;
      let streaming = true;
      const stream = (async () => {
        while (streaming) {
          publish();
          await sleep(2);
        }
      })();
      await sleep(200 + Math.floor(Math.random() * 600));
      const killedAt = Date.now();
      const unackedAtKill = unacknowledged();
      await killHub();
      await sleep(300);
      await startHub();
      await waitFor(() => link.connected, { what: 'the link back', timeoutMs: 10_000 });
      await sleep(300);
      streaming = false;
      await stream;
      await waitFor(() => missing(from).length === 0, { what: 'delivered', timeoutMs: 10_000 }).catch(
        () => {},
      );
      const miss = missing(from);
      expect(
        miss,
        `round ${round}: of ${next - from} messages${miss.length ? diagnose(miss, killedAt, unackedAtKill) : ''}`,
      ).toEqual([]);
    }
  }, 90_000);
});
