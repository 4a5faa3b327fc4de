/**
 * Home Assistant MQTT discovery, run by the hub when `homeAssistant.enabled`: every gate of the
 * fleet appears in HA as a device with its last temperature, passed and flagged today, and online.
 * Fed in-process from the hub's broker like the OPC UA server, and counted by the same SiteModel,
 * so HA, OPC UA and the dashboard agree on "passed today" (site time zone, each reading id once).
 */
import { DecisionMessage } from '../../protocols/gate/messages.ts';
import type { FleetSnapshot } from '../../protocols/hub/fleet.ts';
import { parsePayload } from '../../protocols/parse.ts';
import { GateTopic, HaTopic, parseGateTopic } from '../../protocols/topics.ts';
import type { Logger } from '../log.ts';
import { SiteModel } from '../opcua/site-model.ts';
import type { HomeAssistantConfig } from './config.ts';
import { discoveryMessages, type HaGateState } from './discovery.ts';

export interface HomeAssistantHost {
  siteId: string;
  timeZone: string;
  softwareVersion: string;
  log: Logger;
  now: () => number;
  publish(topic: string, payload: string, opts: { qos: 0 | 1; retain?: boolean }): Promise<void>;
  /** In-process subscription on the hub's broker; resolves to its unsubscribe. */
  subscribe(filter: string, fn: (topic: string, payload: Buffer) => void): Promise<() => Promise<void>>;
  fleet: { snapshot(): FleetSnapshot; onChange(fn: (s: FleetSnapshot) => void): () => void };
}

export interface HomeAssistantHandle {
  close(): Promise<void>;
}

/** Midnight roll-over of the daily counts is checked this often. */
const TICK_MS = 30_000;

export async function startHomeAssistant(
  config: HomeAssistantConfig,
  host: HomeAssistantHost,
): Promise<HomeAssistantHandle> {
  const { siteId, log } = host;
  const send = (topic: string, payload: string) =>
    host
      .publish(topic, payload, { qos: 1, retain: true })
      .catch((e) => log.warn({ topic, err: (e as Error).message }, 'home assistant message not published'));

  // Several changes of one gate in the same turn (a decision changes up to four fields) make one message.
  const dirty = new Set<string>();
  let flush: NodeJS.Immediate | undefined;
  const publishState = (gateId: string) => {
    const v = (f: Parameters<SiteModel['value']>[1]) => model.value(gateId, f).value;
    const state: HaGateState = {
      lastTemperatureC: (v('LastTemperature') as number | null) ?? null,
      lastResult: (v('LastResult') as string | null) ?? null,
      passedToday: (v('PassedToday') as number | null) ?? 0,
      flaggedToday: (v('FlaggedToday') as number | null) ?? 0,
      online: model.isOnline(gateId),
      at: host.now(),
    };
    void send(HaTopic.state(siteId, gateId), JSON.stringify(state));
  };
  const model: SiteModel = new SiteModel({
    timeZone: host.timeZone,
    now: host.now,
    onGate: (gateId) => {
      for (const m of discoveryMessages({
        prefix: config.discoveryPrefix,
        siteId,
        gateId,
        softwareVersion: host.softwareVersion,
      }))
        void send(m.topic, JSON.stringify(m.payload));
      log.info({ gateId }, 'home assistant discovery published');
    },
    onChange: (gateId) => {
      dirty.add(gateId);
      flush ??= setImmediate(() => {
        flush = undefined;
        for (const g of dirty) publishState(g);
        dirty.clear();
      });
    },
  });

  await send(HaTopic.availability(siteId), 'online');
  const applyFleet = (s: FleetSnapshot) => {
    for (const g of s.gates) {
      const known = model.has(g.gateId);
      model.setOnline(g.gateId, g.online, g.since);
      if (!known) publishState(g.gateId);
    }
  };
  applyFleet(host.fleet.snapshot());
  const offFleet = host.fleet.onChange(applyFleet);
  const unsubscribe = await host.subscribe(GateTopic.every(siteId, 'decision'), (topic, payload) => {
    const t = parseGateTopic(topic);
    if (!t || t.siteId !== siteId) return;
    const r = parsePayload(DecisionMessage, payload);
    if (!r.ok)
      return log.warn({ topic, code: r.error.code, reason: r.error.message }, 'bad decision ignored');
    // The topic says which gate it is (the broker's ACL guarantees it); the payload could say anything.
    model.onDecision(t.gateId, r.value);
  });
  const tick = setInterval(() => model.tick(), TICK_MS);
  tick.unref();

  let closed = false;
  return {
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(tick);
      if (flush) clearImmediate(flush);
      offFleet();
      await unsubscribe();
      await send(HaTopic.availability(siteId), 'offline');
    },
  };
}
