/**
 * Home Assistant MQTT discovery on the real hub with the real edge daemon: a client subscribed to
 * `homeassistant/#` (as Home Assistant is) receives a valid retained config per entity of every
 * gate, and the state those configs point at follows the passages. Off by default.
 */
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HA_ENTITIES, type HaGateState } from '../../hub/homeassistant/discovery.ts';
import { HubTopic } from '../../protocols/topics.ts';
import { waitFor } from '../harness/wait.ts';
import { SITE, startGate, startTestHub, type TestGate, type TestHub } from '../hub/fixture.ts';

/** Latest payload per topic, with its retain flag. */
async function listen(url: string, opts: mqtt.IClientOptions, filters: string[]) {
  const latest = new Map<string, { payload: string; retain: boolean }>();
  const c = await mqtt.connectAsync(url, { ...opts, clientId: `svc-${Math.random().toString(36).slice(2)}` });
  c.on('message', (topic, payload, packet) =>
    latest.set(topic, { payload: payload.toString(), retain: packet.retain }),
  );
  await c.subscribeAsync(filters, { qos: 1 });
  return { c, latest };
}

const CONFIG_TOPIC = /^homeassistant\/(sensor|binary_sensor)\/([A-Za-z0-9_-]+)\/([A-Za-z0-9_-]+)\/config$/;

describe('Home Assistant discovery (enabled)', () => {
  let t: TestHub;
  let gate: TestGate;
  let ha: MqttClient;
  let latest: Map<string, { payload: string; retain: boolean }>;

  beforeAll(async () => {
    t = await startTestHub({ homeAssistant: { enabled: true } });
    await t.hub.accessList.importCsv('employeeNo,name\nE1,张伟\nE2,Anna\n');
    ({ c: ha, latest } = await listen(t.url, t.as('svc'), ['homeassistant/#', `tg/${SITE}/ha/#`]));
  });
  afterAll(async () => {
    await ha?.endAsync();
    await gate?.stop();
    await t?.close();
  });

  it('publishes a retained config for every entity of every gate in the fleet, before they connect', async () => {
    // gate-a and gate-b are in the fixture's credentials file: the fleet knows them already.
    const configs = () => [...latest].filter(([topic]) => CONFIG_TOPIC.test(topic));
    await waitFor(() => configs().length === 2 * HA_ENTITIES.length, { what: 'discovery configs' });
    const uniqueIds = new Set<string>();
    for (const [topic, { payload, retain }] of configs()) {
      expect(retain).toBe(true);
      const [, component, node, key] = CONFIG_TOPIC.exec(topic) as RegExpExecArray;
      const entity = HA_ENTITIES.find((e) => e.key === key);
      expect(entity?.component).toBe(component);
      const gateId = node?.replace(`thermogate_${SITE}_`, '');
      expect(['gate-a', 'gate-b']).toContain(gateId);
      const cfg = JSON.parse(payload);
      expect(cfg).toMatchObject({
        name: entity?.name,
        unique_id: `${node}_${key}`,
        state_topic: `tg/${SITE}/ha/${gateId}/state`,
        availability_topic: `tg/${SITE}/ha/availability`,
        payload_available: 'online',
        payload_not_available: 'offline',
        device: { identifiers: [node], manufacturer: 'ThermoGate' },
      });
      expect(typeof cfg.value_template).toBe('string');
      uniqueIds.add(cfg.unique_id);
    }
    expect(uniqueIds.size).toBe(2 * HA_ENTITIES.length);
    const temp = JSON.parse(
      latest.get(`homeassistant/sensor/thermogate_${SITE}_gate-a/last_temperature/config`)?.payload ?? '{}',
    );
    expect(temp).toMatchObject({
      device_class: 'temperature',
      unit_of_measurement: '°C',
      state_class: 'measurement',
    });
    const online = JSON.parse(
      latest.get(`homeassistant/binary_sensor/thermogate_${SITE}_gate-a/online/config`)?.payload ?? '{}',
    );
    expect(online.device_class).toBe('connectivity');
    expect(latest.get(`tg/${SITE}/ha/availability`)?.payload).toBe('online');
    const state = JSON.parse(latest.get(`tg/${SITE}/ha/gate-a/state`)?.payload ?? '{}') as HaGateState;
    expect(state).toMatchObject({ online: false, passedToday: 0, flaggedToday: 0, lastTemperatureC: null });
  });

  it('the state follows the gate: online, passed and flagged today, last temperature', async () => {
    gate = await startGate(t, 'gate-a', 'T1', join(t.dir, 'gate'));
    const state = () => JSON.parse(latest.get(`tg/${SITE}/ha/gate-a/state`)?.payload ?? '{}') as HaGateState;
    await waitFor(() => state().online, { what: 'gate-a online in HA state', timeoutMs: 10_000 });
    const pass = await gate.terminal.present({
      employeeNo: 'E1',
      name: '张伟',
      mask: 'yes',
      temperatureTenths: 365,
    });
    expect(pass.verdict?.open).toBe(true);
    await waitFor(() => state().passedToday === 1, { what: 'passedToday 1' });
    expect(state().lastTemperatureC).toBe(36.5);
    await gate.terminal.present({ employeeNo: 'E2', name: 'Anna', mask: 'yes', temperatureTenths: 382 });
    await waitFor(() => state().flaggedToday === 1, { what: 'flaggedToday 1' });
    expect(state()).toMatchObject({
      lastTemperatureC: 38.2,
      lastResult: 'flagged',
      passedToday: 1,
      online: true,
    });
    // Every template reads a key the state has (what HA would render).
    for (const e of HA_ENTITIES)
      for (const [, k] of e.value_template.matchAll(/value_json\.(\w+)/g))
        expect(state()).toHaveProperty(k as string);
    expect(latest.get(`tg/${SITE}/ha/gate-b/state`)).toBeDefined();
  });

  it('the gate going away shows as offline; the hub stopping marks everything unavailable', async () => {
    await gate.stop();
    const state = () => JSON.parse(latest.get(`tg/${SITE}/ha/gate-a/state`)?.payload ?? '{}') as HaGateState;
    await waitFor(() => state().online === false, { what: 'gate-a offline in HA state' });
    expect(state().passedToday).toBe(1); // history stays
    await t.hub.close();
    await waitFor(() => latest.get(`tg/${SITE}/ha/availability`)?.payload === 'offline', {
      what: 'availability offline',
    });
  });
});

describe('Home Assistant discovery (default config)', () => {
  it('publishes nothing under homeassistant/', async () => {
    const t = await startTestHub();
    try {
      const { c, latest } = await listen(t.url, t.as('svc'), ['homeassistant/#', HubTopic.fleet(SITE)]);
      // The retained fleet snapshot arrives with the subscription, as retained discovery configs would.
      await waitFor(() => latest.has(HubTopic.fleet(SITE)), { what: 'retained fleet snapshot' });
      expect([...latest.keys()].filter((k) => k.startsWith('homeassistant/'))).toEqual([]);
      await c.endAsync();
    } finally {
      await t.close();
    }
  });
});
