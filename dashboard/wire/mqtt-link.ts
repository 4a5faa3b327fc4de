/**
 * The dashboard's MQTT connection, on the kernel's link (kernel/mqtt-link.ts: jittered reconnect,
 * at-least-once stores, a bounded offline queue): connects as the site's `dashboard` device with a
 * persistent session (client id `<username>-dashboard` unless configured), subscribes to what it
 * reads (`DashboardTopic.subscriptions`: not the readings) at QoS 1 on every (re)connect (harmless
 * when the session kept them), drops the `tg/{site}/#` of older versions from a kept session, and
 * calls `onConnect` once the subscriptions are granted (the alerts service republishes its retained plans then). `publish`
 * never throws: QoS 1 messages made while offline wait in the link's queue; retained ones are
 * republished by `onConnect` instead.
 */
import { readFileSync } from 'node:fs';
import { type Clock, systemClock } from '../../kernel/clock.ts';
import { MqttLink as Link } from '../../kernel/mqtt-link.ts';
import { DashboardTopic, SiteTopic } from '../../protocols/topics.ts';
import type { DashboardConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';

export interface MqttLink {
  readonly connected: boolean;
  /** Resolves after the first subscription is granted. */
  readonly ready: Promise<void>;
  publish(topic: string, payload: string, opts: { qos: 0 | 1; retain?: boolean }): void;
  close(): Promise<void>;
}

export interface MqttLinkOptions {
  config: DashboardConfig;
  log: Logger;
  onMessage: (topic: string, payload: Buffer) => void;
  onConnect?: () => void;
  /** Cap of the jittered reconnect pause (default 500 ms doubling up to 10 s); tests shorten it. */
  reconnectPeriodMs?: number;
  clock?: Clock;
}

export function connectMqtt(o: MqttLinkOptions): MqttLink {
  const m = o.config.mqtt;
  const link = new Link(
    {
      url: m.url,
      // A stable client id and a persistent session: while the dashboard restarts, the broker keeps
      // the gates' QoS 1 alerts and decisions for it, so none is missed. A second instance on the
      // same site must set its own mqtt.clientId (two sessions with one id take turns).
      clientId: m.clientId ?? `${m.username}-dashboard`,
      username: m.username,
      ...(m.password !== undefined ? { password: m.password } : {}),
      ...(m.caFile ? { ca: readFileSync(m.caFile, 'utf8') } : {}),
      reconnectMinMs: Math.min(o.reconnectPeriodMs ?? 500, 500),
      reconnectMaxMs: o.reconnectPeriodMs ?? 10_000,
    },
    o.clock ?? systemClock,
    o.log,
  );
  // Acknowledged once onMessage returns, as before (the handler returns no promise).
  const onMessage = (topic: string, payload: Buffer) => {
    o.onMessage(topic, payload);
  };
  for (const filter of DashboardTopic.subscriptions(o.config.siteId)) link.subscribe(filter, onMessage);
  // Versions before this one took the whole site, readings included, on the same session.
  link.retire(SiteTopic.all(o.config.siteId));
  let resolveReady: () => void = () => {};
  const ready = new Promise<void>((r) => {
    resolveReady = r;
  });
  link.onSubscribed(() => {
    resolveReady();
    o.onConnect?.();
  });
  link.start();
  return {
    get connected() {
      return link.connected;
    },
    ready,
    publish: (topic, payload, popts) => link.publish(topic, payload, popts),
    close: () => link.stop(),
  };
}
