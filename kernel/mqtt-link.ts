/**
 * An MQTT connection (mqtt.js) for every program that is a client of the site's broker: the gate's
 * one link, the dashboard's. Reconnects with exponential backoff and full jitter (so a site's gates
 * and dashboards do not reconnect in lockstep after a hub restart), re-subscribes and runs the
 * `onConnect` hooks (birth message) on every connect, then the `onSubscribed` hooks once the
 * broker has granted the subscriptions, and never blocks a caller: QoS 1 publishes
 * made while disconnected are kept here, in order, and sent after the birth message. The queue is
 * bounded: a gate's readings are safe in its outbox regardless, so the oldest notifications give
 * way. Retained state is not queued: the connect hooks publish the current state.
 *
 * At least once: a QoS 1 message already handed to mqtt.js stays in its outgoing store until the
 * broker's PUBACK, and mqtt.js sends the store again on every connect. `reconnect()` without
 * arguments gives the client empty stores, which silently dropped every message in flight when
 * the hub died (one alert per hub SIGKILL in the soak); the link keeps one pair of stores for the
 * client's whole life instead.
 *
 * Retained snapshots fetched on demand (`onDemand` + `fetch`): a site's lists (50,000 people are
 * megabytes) travel as changes; the full retained snapshot is subscribed to only while the gate
 * needs it (no copy, a gap in the changes, a session the broker no longer had), and unsubscribed
 * from as soon as it has arrived, so that neither a change nor a reconnect sends it again.
 */
import mqtt, { type IClientOptions, type MqttClient, Store } from 'mqtt';
import { backoffDelay } from './backoff.ts';
import type { Clock, Timer } from './clock.ts';
import type { Logger } from './log.ts';

export interface LinkOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  will?: { topic: string; payload: string; qos: 0 | 1; retain: boolean };
  /** PEM of the CA that signed the broker's certificate (mqtts). */
  ca?: string;
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

/**
 * A handler that returns a promise has its QoS 1 delivery acknowledged (PUBACK) only once the
 * promise settles, so a crash while it runs leaves the message with the broker for redelivery.
 */
export type MessageHandler = (topic: string, payload: Buffer) => unknown;

/** Longest a handler may hold the link's delivery of the next message (see handleMessage). */
export const HANDLER_GUARD_MS = 30_000;
/** How long a connection attempt waits for the broker's CONNACK. */
export const CONNECT_TIMEOUT_MS = 30_000;
/** The retry cap while the broker refuses connections (nothing listens yet). */
export const REFUSED_RETRY_MAX_MS = 2000;

export class MqttLink {
  private client: MqttClient | undefined;
  private readonly subs = new Map<string, MessageHandler>();
  /** Topics subscribed to only while fetching their retained message, and those being fetched. */
  private readonly onDemandSubs = new Map<string, MessageHandler>();
  private readonly fetching = new Set<string>();
  /** Filters an older version of this client subscribed to in its persistent session (`retire`). */
  private readonly retired = new Set<string>();
  /** Retained snapshots fetched so far (for tests and the benchmarks). */
  fetched = 0;
  private readonly connectHooks: Array<(c: { sessionPresent: boolean }) => void> = [];
  private readonly disconnectHooks: Array<() => void> = [];
  private readonly subscribedHooks: Array<() => void> = [];
  private lastError = '';
  private attempt = 0;
  /** The last attempt was refused (ECONNREFUSED). */
  private refused = false;
  private retry: Timer | undefined;
  private stopped = false;
  connected = false;
  connects = 0;
  /** QoS 1 messages dropped because the offline queue was full. */
  droppedWhileOffline = 0;
  private readonly offline: Array<{ topic: string; payload: string }> = [];
  private readonly stores = { incomingStore: new Store(), outgoingStore: new Store() };
  static readonly OFFLINE_QUEUE_MAX = 10_000;

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
      // A hub that accepted the connection but has not answered yet is busy (a site's gates all
      // reconnecting after a power cut): giving up after 5 s threw its work away and came back
      // for more. A hub that hangs is noticed as late, and the gate decides on its own meanwhile.
      connectTimeout: CONNECT_TIMEOUT_MS,
      keepalive: 15,
      resubscribe: false,
      queueQoSZero: false,
      protocolVersion: 4,
      ...this.stores,
    };
    if (this.opts.username !== undefined) options.username = this.opts.username;
    if (this.opts.password !== undefined) options.password = this.opts.password;
    if (this.opts.will) options.will = { ...this.opts.will };
    if (this.opts.ca !== undefined) options.ca = this.opts.ca;
    const client = mqtt.connect(this.opts.url, options);
    this.client = client;
    client.on('connect', (connack) => {
      // Nagle's algorithm holds a small write (a verdict, a PUBACK) while an earlier one is
      // unacknowledged; a verdict is the person's wait at the turnstile.
      (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      this.connected = true;
      this.connects++;
      this.attempt = 0;
      this.refused = false;
      this.lastError = '';
      this.log.info({ url: this.opts.url, connects: this.connects }, 'mqtt connected');
      const topics = [...this.subs.keys(), ...this.fetching];
      if (topics.length)
        client.subscribe(topics, { qos: 1 }, (err, granted) => {
          if (err || granted?.some((g) => g.qos === 128)) {
            this.log.error({ topics, err, granted }, 'subscription refused: check the device ACL');
            return;
          }
          this.runSubscribedHooks();
        });
      else queueMicrotask(() => this.runSubscribedHooks());
      // A session kept by the broker may still hold an on-demand subscription (an older gate
      // subscribed to its snapshots for good): drop it, or every change would bring the snapshot.
      // Likewise a filter an older version subscribed to and this one no longer wants (retire).
      const idle = [
        ...[...this.onDemandSubs.keys()].filter((t) => !this.fetching.has(t)),
        ...[...this.retired].filter((t) => !this.subs.has(t)),
      ];
      if (connack.sessionPresent && idle.length) client.unsubscribe(idle);
      const session = { sessionPresent: connack.sessionPresent === true };
      for (const hook of this.connectHooks) hook(session);
      for (const m of this.offline.splice(0)) this.send(m.topic, m.payload, 1, false);
    });
    // mqtt.js emits 'message' and then, synchronously, calls handleMessage, whose callback sends
    // the PUBACK. Found by the edge-kill soak: a face event that waited for its measurement was
    // acknowledged at once, and lost when the gate died during the wait.
    let settling: Promise<unknown> | undefined;
    client.on('message', (topic, payload) => {
      const r = this.dispatch(topic, payload);
      settling = r instanceof Promise ? r : undefined;
    });
    client.handleMessage = (packet, done) => {
      const p = settling;
      settling = undefined;
      if (!p) return done();
      // mqtt.js reads nothing more until done(): a handler that never settled would silence the
      // gate for good. Its waits are bounded (policy.waitForMeasurementMs <= 2 s), so this is a
      // guard against a bug, not a timing.
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        guard.cancel();
        done();
      };
      const guard = this.clock.setTimeout(() => {
        this.log.error(
          { code: 'TG_EDGE_HANDLER_STUCK', topic: packet.topic, afterMs: HANDLER_GUARD_MS },
          'message handler did not settle: acknowledged anyway',
        );
        finish();
      }, HANDLER_GUARD_MS);
      p.then(finish, finish);
    };
    client.on('close', () => {
      if (this.connected) {
        this.log.warn({ url: this.opts.url }, 'mqtt connection lost');
        for (const hook of this.disconnectHooks) hook();
      }
      this.connected = false;
      this.scheduleReconnect();
    });
    client.on('error', (err) => {
      this.refused = (err as NodeJS.ErrnoException).code === 'ECONNREFUSED';
      // The same failure repeats on every reconnect attempt: logged once per change.
      if (err.message !== this.lastError)
        this.log.warn({ code: (err as NodeJS.ErrnoException).code, msg: err.message }, 'mqtt error');
      this.lastError = err.message;
    });
  }

  /** Exact topics or single-level `+` wildcards; the handler is kept across reconnects. */
  subscribe(topic: string, handler: MessageHandler): void {
    this.subs.set(topic, handler);
    if (this.connected) this.client?.subscribe(topic, { qos: 1 });
  }

  /**
   * A filter an older version of this client subscribed to and this one does not: dropped from a
   * session the broker kept (on every connect with `sessionPresent`), or the broker would go on
   * queueing its messages for nobody.
   */
  retire(topic: string): void {
    this.retired.add(topic);
  }

  /**
   * A topic whose retained message is fetched only when asked (`fetch`); its handler gets that
   * message (and any other published on it while subscribed).
   */
  onDemand(topic: string, handler: MessageHandler): void {
    this.onDemandSubs.set(topic, handler);
  }

  /**
   * Subscribes to an on-demand topic until its next message (the retained one, at once, when the
   * broker holds one) has arrived, then unsubscribes. Kept across reconnects until it arrives.
   */
  fetch(topic: string): void {
    if (!this.onDemandSubs.has(topic) || this.fetching.has(topic)) return;
    this.fetching.add(topic);
    if (this.connected) this.client?.subscribe(topic, { qos: 1 });
  }

  /** Whether a fetch of this topic is under way. */
  isFetching(topic: string): boolean {
    return this.fetching.has(topic);
  }

  /** Runs on every connect; `sessionPresent`: the broker kept this gate's session (and queued its messages). */
  onConnect(hook: (c: { sessionPresent: boolean }) => void): void {
    this.connectHooks.push(hook);
  }

  /**
   * Runs once the subscriptions made on a connect are granted (at once when there are none): what
   * needs the messages flowing before it acts (the dashboard republishes its retained plans then).
   */
  onSubscribed(hook: () => void): void {
    this.subscribedHooks.push(hook);
  }

  private runSubscribedHooks(): void {
    for (const hook of this.subscribedHooks) {
      try {
        hook();
      } catch (e) {
        this.log.error({ err: e }, 'onSubscribed hook failed');
      }
    }
  }

  /** Runs when an established connection is lost. */
  onDisconnect(hook: () => void): void {
    this.disconnectHooks.push(hook);
  }

  publish(topic: string, payload: string, opts: { qos?: 0 | 1; retain?: boolean } = {}): void {
    if (!this.client) return;
    const qos = opts.qos ?? 1;
    const retain = opts.retain ?? false;
    if (!this.connected) {
      // QoS 0 while offline is dropped on purpose (heartbeats): stale counters are worthless.
      // Retained state is not queued either: the birth hooks publish the current one on connect,
      // and an old copy sent after it would overwrite it.
      if (qos === 0 || retain) return;
      if (this.offline.length >= MqttLink.OFFLINE_QUEUE_MAX) {
        this.offline.shift();
        if (this.droppedWhileOffline++ % 1000 === 0)
          this.log.warn(
            { dropped: this.droppedWhileOffline },
            'offline MQTT queue full: oldest notifications dropped',
          );
      }
      this.offline.push({ topic, payload });
      return;
    }
    this.send(topic, payload, qos, retain);
  }

  get queuedWhileOffline(): number {
    return this.offline.length;
  }

  private send(topic: string, payload: string, qos: 0 | 1, retain: boolean): void {
    this.client?.publish(topic, payload, { qos, retain }, (err) => {
      if (err && !this.stopped) this.log.warn({ topic, msg: err.message }, 'publish failed');
    });
  }

  /**
   * Ends the connection. Graceful (the default) waits for QoS 1 messages in flight, but at most
   * 2 s: a broker that is gone would make it wait forever.
   */
  async stop(opts: { graceful?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.retry?.cancel();
    const c = this.client;
    if (!c) return;
    if (!(opts.graceful ?? true)) {
      await new Promise<void>((resolve) => c.end(true, {}, () => resolve()));
      return;
    }
    await new Promise<void>((resolve) => {
      // A real timer, not the link's clock: it bounds I/O, and must fire under a manual clock too.
      const force = setTimeout(() => c.end(true, {}, () => resolve()), 2000);
      c.end(false, {}, () => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  /**
   * Full jitter (the whole delay is random) so a site's gates spread out after a hub restart;
   * never below a small floor.
   */
  nextDelay(): number {
    const delay = backoffDelay(
      this.attempt,
      { minDelayMs: this.opts.reconnectMinMs, maxDelayMs: this.maxDelay(), jitter: 1 },
      this.random,
    );
    return Math.max(100, delay);
  }

  /**
   * A refused connection (the hub's machine is up, its broker not yet: it is starting) costs the
   * hub nothing, so it does not push the backoff towards its cap: a gate retries within
   * REFUSED_RETRY_MAX_MS and is there within that once the hub listens, instead of up to
   * `reconnectMaxMs` later. A busy hub (no answer, CONNACK refused) and an unreachable one still
   * back off to the cap.
   */
  private maxDelay(): number {
    return this.refused
      ? Math.min(this.opts.reconnectMaxMs, Math.max(this.opts.reconnectMinMs, REFUSED_RETRY_MAX_MS))
      : this.opts.reconnectMaxMs;
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.retry) return;
    const delay = this.nextDelay();
    // While refused, the backoff stays at the level that reaches the short cap.
    if (!this.refused || this.opts.reconnectMinMs * 2 ** this.attempt < this.maxDelay()) this.attempt++;
    this.retry = this.clock.setTimeout(() => {
      this.retry = undefined;
      if (this.stopped || this.connected) return;
      this.refused = false; // until this attempt is refused too
      this.client?.reconnect(this.stores);
    }, delay);
  }

  private dispatch(topic: string, payload: Buffer): unknown {
    const onDemand = this.onDemandSubs.get(topic);
    if (onDemand) {
      if (this.fetching.delete(topic)) {
        this.fetched++;
        if (this.connected) this.client?.unsubscribe(topic);
      }
      return onDemand(topic, payload);
    }
    const handler = this.subs.get(topic) ?? [...this.subs].find(([pattern]) => matches(pattern, topic))?.[1];
    return handler?.(topic, payload);
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
