/**
 * deploy/mosquitto/bridge.conf with real parts: the site hub (in-process), a site relay Mosquitto
 * running the example bridge config (only addresses, passwords and the TLS files replaced), and a
 * central Mosquitto with its own logins and ACL. A gate's message published on the hub arrives at
 * the central broker under the company prefix, byte for byte; nothing outside the site's topics does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, MOSQUITTO_BIN, type Mosquitto } from '../harness/mosquitto.ts';
import { canConnect, freePort } from '../harness/ports.ts';
import { awaitReady, spawnTracked, type Tracked } from '../harness/proc.ts';
import { waitFor } from '../harness/wait.ts';
import { startTestHub, type TestHub, tempDir, writeCredentials } from '../hub/fixture.ts';
import { DEPLOY } from './paths.ts';

const SITE = 'plant-1';
const BRIDGE_CONF = join(DEPLOY, 'mosquitto', 'bridge.conf');
const TLS_KEYS = /^(bridge_cafile|bridge_certfile|bridge_keyfile|bridge_tls_version|bridge_insecure)\b/;

/** The example file with, per connection, some keys set to test values; TLS lines dropped (plain TCP here). */
function adapt(text: string, set: Record<string, Record<string, string>>): string {
  let connection = '';
  const seen = new Set<string>();
  const out = text.split('\n').flatMap((line) => {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (key === 'connection') connection = rest[0] ?? '';
    if (key && TLS_KEYS.test(key)) return [];
    const value = key ? set[connection]?.[key] : undefined;
    if (value === undefined) return [line];
    seen.add(`${connection}.${key}`);
    return [`${key} ${value}`];
  });
  const wanted = Object.entries(set).flatMap(([c, kv]) => Object.keys(kv).map((k) => `${c}.${k}`));
  expect(
    wanted.filter((w) => !seen.has(w)),
    'keys the example must have',
  ).toEqual([]);
  return out.join('\n');
}

describe('multi-site bridge (deploy/mosquitto/bridge.conf)', () => {
  let hub: TestHub;
  let central: Mosquitto;
  let relay: Tracked;
  let gate: MqttClient;
  let svc: MqttClient;
  let reader: MqttClient;
  const atCentral: { topic: string; payload: string }[] = [];

  beforeAll(async () => {
    const dir = tempDir('tg-bridge-');
    const passwords = await writeCredentials(join(dir, 'credentials.json'), [
      { id: 'bridge-plant-1', role: 'dashboard', site: SITE },
      { id: 'gate-1', role: 'gate', site: SITE, gate: 'gate-1', terminal: 'term-1' },
      { id: 'svc', role: 'service' },
    ]);
    hub = await startTestHub({ siteId: SITE }, { dir, passwords });
    central = await startMosquitto({
      passwords: { [SITE]: 'central-secret', reader: 'reader-secret' },
      aclText: [`user ${SITE}`, `topic readwrite acme/tg/${SITE}/#`, 'user reader', 'topic read acme/#'].join(
        '\n',
      ),
    });
    const port = await freePort();
    const conf = join(dir, 'relay.conf');
    writeFileSync(
      conf,
      [
        'user root', // see test/harness/mosquitto.ts: keeps the parent-death signal
        `listener ${port} 127.0.0.1`,
        'allow_anonymous false',
        'persistence false',
        'max_queued_messages 100000',
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        'log_type notice',
        adapt(readFileSync(BRIDGE_CONF, 'utf8'), {
          [`${SITE}-hub`]: {
            address: `127.0.0.1:${hub.hub.port}`,
            remote_password: passwords['bridge-plant-1'] as string,
          },
          [`${SITE}-central`]: { address: `127.0.0.1:${central.port}`, remote_password: 'central-secret' },
        }),
      ].join('\n'),
    );
    relay = spawnTracked(MOSQUITTO_BIN, ['-c', conf]);
    await awaitReady(relay, () => relay.alive() && canConnect(port), {
      name: 'relay mosquitto',
      what: `relay mosquitto on ${port}`,
      timeoutMs: 10_000,
      intervalMs: 50,
      config: conf,
    });
    reader = await mqtt.connectAsync(central.url, {
      username: 'reader',
      password: 'reader-secret',
      reconnectPeriod: 0,
    });
    reader.on('message', (topic, payload) => atCentral.push({ topic, payload: payload.toString() }));
    await reader.subscribeAsync('acme/#', { qos: 1 });
    gate = await mqtt.connectAsync(hub.url, hub.as('gate-1'));
    svc = await mqtt.connectAsync(hub.url, hub.as('svc'));
  });
  afterAll(async () => {
    await Promise.all([gate?.endAsync(), svc?.endAsync(), reader?.endAsync()]);
    await relay?.stop();
    await central?.destroy();
    await hub?.close();
  });

  it('reports the site connected on the central broker', async () => {
    await waitFor(
      () => atCentral.some((m) => m.topic === `acme/tg/${SITE}/bridge/state` && m.payload === '1'),
      {
        what: 'bridge state 1 at the central broker',
        timeoutMs: 15_000,
      },
    );
  });

  it("a gate's message on the site hub arrives at the central broker under acme/, unchanged", async () => {
    // Both bridges connect on their own schedule: probe until the whole path carries a message.
    let probe = 0;
    await waitFor(
      async () => {
        await gate.publishAsync(`tg/${SITE}/gate/gate-1/heartbeat`, `probe ${++probe}`, { qos: 1 });
        return atCentral.some((m) => m.topic === `acme/tg/${SITE}/gate/gate-1/heartbeat`);
      },
      { what: 'a probe through hub → relay → central', timeoutMs: 20_000, intervalMs: 300 },
    );
    // Topics that are not this site's never leave it: published first, so they would arrive first.
    await svc.publishAsync('face/term-1/event', 'NOT-BRIDGED', { qos: 1 });
    await svc.publishAsync('tg/other-site/gate/g/decision', 'NOT-BRIDGED', { qos: 1 });
    const decision = JSON.stringify({
      v: 1,
      reading: { id: 'plant-1:gate-1:42', temperatureTenths: 366 },
      note: '体温',
    });
    await gate.publishAsync(`tg/${SITE}/gate/gate-1/decision`, decision, { qos: 1 });
    const got = await waitFor(
      () => atCentral.find((m) => m.topic === `acme/tg/${SITE}/gate/gate-1/decision`),
      {
        what: 'the decision at the central broker',
        timeoutMs: 10_000,
      },
    );
    expect(got.payload).toBe(decision);
    expect(atCentral.filter((m) => m.payload === 'NOT-BRIDGED')).toEqual([]);
    expect(atCentral.every((m) => m.topic.startsWith(`acme/tg/${SITE}/`))).toBe(true);
  });
});
