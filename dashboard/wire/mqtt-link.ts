/**
 * The dashboard's MQTT connection (mqtt.js): connects as the site's `dashboard` device with a
 * persistent session (client id `<username>-dashboard` unless configured), subscribes
 * `tg/{site}/#` at QoS 1 on every (re)connect (harmless when the session kept it) and calls `onConnect` after each subscription (the alerts service republishes its
 * retained plans then). `publish` never throws: offline QoS 1 messages wait in mqtt.js's queue.
 */
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { SiteTopic } from '../../protocols/topics.ts';
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
  /** Reconnect pause (default 1 s). */
  reconnectPeriodMs?: number;
}

export function connectMqtt(o: MqttLinkOptions): MqttLink {
  const m = o.config.mqtt;
  const filter = SiteTopic.all(o.config.siteId);
  const opts: IClientOptions = {
    // A stable client id and a persistent session: while the dashboard restarts, the broker keeps
    // the gates' QoS 1 alerts and decisions for it, so none is missed. A second instance on the
    // same site must set its own mqtt.clientId (two sessions with one id take turns).
    clientId: m.clientId ?? `${m.username}-dashboard`,
    username: m.username,
    clean: false,
    // Subscriptions are made on each connect below; mqtt.js's own resubscribe would double them.
    resubscribe: false,
    reconnectPeriod: o.reconnectPeriodMs ?? 1000,
    connectTimeout: 10_000,
  };
  if (m.password !== undefined) opts.password = m.password;
  if (m.caFile) opts.ca = readFileSync(m.caFile);
  let resolveReady: () => void = () => {};
  const ready = new Promise<void>((r) => {
    resolveReady = r;
  });
  let connected = false;
  let lastError = '';
  const client: MqttClient = mqtt.connect(m.url, opts);

  client.on('connect', () => {
    connected = true;
    lastError = '';
    o.log.info({ url: m.url, clientId: opts.clientId }, 'connected to the broker');
    client.subscribe(filter, { qos: 1 }, (err, granted) => {
      if (err || granted?.some((g) => g.qos === 128)) {
        o.log.error({ filter, err, granted }, 'subscription refused: check the dashboard device ACL');
        return;
      }
      resolveReady();
      try {
        o.onConnect?.();
      } catch (e) {
        o.log.error({ err: e }, 'onConnect failed');
      }
    });
  });
  client.on('message', (topic, payload) => o.onMessage(topic, payload));
  client.on('close', () => {
    if (connected) o.log.warn({ url: m.url }, 'broker connection lost; reconnecting');
    connected = false;
  });
  client.on('error', (e) => {
    // The same failure repeats on every reconnect attempt: log it once per change.
    if (e.message !== lastError) o.log.warn({ err: e.message, url: m.url }, 'broker connection failed');
    lastError = e.message;
  });

  return {
    get connected() {
      return connected && client.connected;
    },
    ready,
    publish(topic, payload, popts) {
      try {
        client.publish(topic, payload, { qos: popts.qos, retain: popts.retain ?? false }, (err) => {
          if (err) o.log.warn({ topic, err: err.message }, 'publish failed');
        });
      } catch (e) {
        o.log.warn({ topic, err: (e as Error).message }, 'publish failed');
      }
    },
    close: () =>
      new Promise<void>((r) => {
        // A graceful end waits for in-flight QoS 1 messages; a broker that is gone would make it wait forever.
        const t = setTimeout(() => client.end(true, {}, () => r()), 2000);
        client.end(false, {}, () => {
          clearTimeout(t);
          r();
        });
      }),
  };
}
