/**
 * The gate's one MQTT connection. Reconnects with exponential backoff and full jitter (so a
 * site's gates do not reconnect in lockstep after a hub restart), re-subscribes and runs the
 * `onConnect` hooks (birth message) on every connect, and never blocks a caller: publishes made
 * while disconnected are queued by mqtt.js (QoS 1) and sent after.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Clock, Timer } from '../clock.ts';
import type { Logger } from '../log.ts';

export interface LinkOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  will?: { topic: string; payload: string; qos: 0 | 1; retain: boolean };
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

export type MessageHandler = (topic: string, payload: Buffer) => void;

export class MqttLink {
  private client: MqttClient | undefined;
  private readonly subs = new Map<string, MessageHandler>();
  private readonly connectHooks: Array<() => void> = [];
  private attempt = 0;
  private retry: Timer | undefined;
  private stopped = false;
  connected = false;
  connects = 0;

  constructor(
    private readonly opts: LinkOptions,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly random: () => number = Math.random,
  ) {}

  start(): void {
    const options: IClientOptions = {
      clientId: this.opts.clientId,
      clean: false,
      reconnectPeriod: 0, // our own backoff below
      connectTimeout: 5000,
      keepalive: 15,
      resubscribe: false,
      queueQoSZero: false,
      protocolVersion: 4,
    };
    if (this.opts.username !== undefined) options.username = this.opts.username;
    if (this.opts.password !== undefined) options.password = this.opts.password;
    if (this.opts.will) options.will = { ...this.opts.will };
    const client = mqtt.connect(this.opts.url, options);
    this.client = client;
    client.on('connect', () => {
      this.connected = true;
      this.connects++;
      this.attempt = 0;
      this.log.info({ url: this.opts.url, connects: this.connects }, 'mqtt connected');
      const topics = [...this.subs.keys()];
      if (topics.length) client.subscribe(topics, { qos: 1 }, (err) => err && this.log.warn({ err }, 'subscribe failed'));
      for (const hook of this.connectHooks) hook();
    });
    client.on('message', (topic, payload) => this.dispatch(topic, payload));
    client.on('close', () => {
      if (this.connected) this.log.warn({ url: this.opts.url }, 'mqtt connection lost');
      this.connected = false;
      this.scheduleReconnect();
    });
    client.on('error', (err) => this.log.warn({ code: (err as NodeJS.ErrnoException).code, msg: err.message }, 'mqtt error'));
  }

  /** Exact topics or single-level `+` wildcards; the handler is kept across reconnects. */
  subscribe(topic: string, handler: MessageHandler): void {
    this.subs.set(topic, handler);
    if (this.connected) this.client?.subscribe(topic, { qos: 1 });
  }

  onConnect(hook: () => void): void {
    this.connectHooks.push(hook);
  }

  publish(topic: string, payload: string, opts: { qos?: 0 | 1; retain?: boolean } = {}): void {
    if (!this.client) return;
    const qos = opts.qos ?? 1;
    // QoS 0 while offline is dropped on purpose (heartbeats): stale counters are worthless.
    if (qos === 0 && !this.connected) return;
    this.client.publish(topic, payload, { qos, retain: opts.retain ?? false }, (err) => {
      if (err && !this.stopped) this.log.warn({ topic, msg: err.message }, 'publish failed');
    });
  }

  async stop(opts: { graceful?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.retry?.cancel();
    const c = this.client;
    if (!c) return;
    await new Promise<void>((resolve) => c.end(!(opts.graceful ?? true), {}, () => resolve()));
  }

  /** Full jitter: uniform in [0, min(cap, base · 2^attempt)]; never below a small floor. */
  nextDelay(): number {
    const ceiling = Math.min(this.opts.reconnectMaxMs, this.opts.reconnectMinMs * 2 ** this.attempt);
    return Math.max(100, Math.round(this.random() * ceiling));
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.retry) return;
    const delay = this.nextDelay();
    this.attempt++;
    this.retry = this.clock.setTimeout(() => {
      this.retry = undefined;
      if (!this.stopped && !this.connected) this.client?.reconnect();
    }, delay);
  }

  private dispatch(topic: string, payload: Buffer): void {
    const exact = this.subs.get(topic);
    if (exact) return exact(topic, payload);
    for (const [pattern, handler] of this.subs) if (matches(pattern, topic)) return handler(topic, payload);
  }
}

function matches(pattern: string, topic: string): boolean {
  const p = pattern.split('/');
  const t = topic.split('/');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '#') return true;
    if (p[i] !== '+' && p[i] !== t[i]) return false;
  }
  return p.length === t.length;
}
