/**
 * The face-recognition terminal on the turnstile (devices.md §3), device side, over MQTT.
 *
 * - Connects with client id = device id, optional credentials, last will `offline` (retained) on
 *   `face/{id}/status`, and publishes `online` (retained) once it has subscribed to its verdict and
 *   ack topics — so an edge that sees `online` can already talk to it.
 * - `present(person)` publishes one event (QoS 1) with the next serialNo. With remoteCheck it keeps
 *   the turnstile shut and waits up to remoteCheckTimeout for a verdict with that serialNo; none
 *   means denied. Without remoteCheck it decides locally (recognised → open) and waits for an ack.
 * - Offline (not connected), events are cached with isRealtime:false and re-uploaded after every
 *   reconnect and every `resendMs` until each is acknowledged, keeping serialNo and dateTime.
 */
import { EventEmitter } from 'node:events';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { FaceAck, FaceVerdict, type FaceEventWire } from '../../protocols/face-mqtt/index.ts';
import { parsePayload } from '../../protocols/parse.ts';
import { FaceTopic, ID_PATTERN } from '../../protocols/topics.ts';
import { SimError, SimErrorCode } from '../errors.ts';
import { childLogger, type Logger } from '../log.ts';
import { parseUtcOffset, within } from '../time.ts';
import { type BuiltInThermometer, buildFaceEvent, type FacePerson, isRecognised } from './event-builder.ts';

export interface FaceTerminalOptions {
  /** e.g. mqtt://127.0.0.1:1883 */
  brokerUrl: string;
  /** Device id: the MQTT client id and the `{deviceId}` of every topic. */
  deviceId: string;
  username?: string;
  password?: string;
  /** Site's UTC offset for `dateTime`, e.g. '+08:00' or minutes east of UTC (default +08:00). */
  utcOffset?: string | number;
  /** Default for present(): wait for the edge's verdict (default true). */
  remoteCheck?: boolean;
  /** How long to wait for a verdict, ms (default 3000, the vendor default). */
  remoteCheckTimeoutMs?: number;
  /** How long present() waits for the ack of a remoteCheck:false event, ms (default 3000). */
  ackTimeoutMs?: number;
  /** Re-upload period for unacknowledged offline records while connected, ms (default 5000). */
  resendMs?: number;
  /** MQTT reconnect period, ms (default 500). */
  reconnectPeriodMs?: number;
  connectTimeoutMs?: number;
  /** 4 = MQTT 3.1.1 (default), 5 = MQTT 5. */
  protocolVersion?: 4 | 5;
  /** Set for terminal models with a built-in thermometer. */
  thermometer?: BuiltInThermometer;
  /** serialNo of the last event already sent (default 0: the first event is 1). */
  lastSerialNo?: number;
  /** Wall clock for `dateTime` (default Date.now). */
  clock?: () => number;
  logger?: Logger;
}

export interface PresentOptions {
  /** Overrides the terminal's default remoteCheck for this event. */
  remoteCheck?: boolean;
  /** Event time (default now). */
  atMs?: number;
}

export interface PresentResult {
  serialNo: number;
  /** Exactly what was (or will be, when cached) published. */
  event: FaceEventWire;
  /** The verdict received in time, if any. */
  verdict: FaceVerdict | undefined;
  /** Whether the terminal opened the turnstile itself. */
  opened: boolean;
  /** remoteCheck: no verdict in time (denied by default). Otherwise: no ack in time. */
  timedOut: boolean;
  /** false when the terminal was offline and cached the record. */
  realtime: boolean;
  /** remoteCheck:false events: whether the ack arrived. */
  acked: boolean;
}

interface Waiter<T> {
  resolve: (v: T | undefined) => void;
  timer: NodeJS.Timeout;
}

/**
 * Events: 'online', 'offline', 'published' (FaceEventWire), 'verdict' (FaceVerdict),
 * 'ack' (serialNo), 'cached' (FaceEventWire), 'reuploaded' (FaceEventWire).
 */
export class FaceTerminal extends EventEmitter {
  readonly deviceId: string;
  private client: MqttClient | undefined;
  /** Between start() and stop(); a crashed (network-less) terminal is still started and caches. */
  private started = false;
  private ready = false;
  private serialNo: number;
  private readonly offsetMinutes: number;
  private readonly log: Logger;
  private readonly clock: () => number;
  private readonly verdictWaiters = new Map<number, Waiter<FaceVerdict>>();
  private readonly ackWaiters = new Map<number, Waiter<true>>();
  /** Offline records not yet acknowledged, in serialNo order (Map keeps insertion order). */
  private readonly cache = new Map<number, FaceEventWire>();
  private resendTimer: NodeJS.Timeout | undefined;
  private readonly topics: { event: string; verdict: string; ack: string; status: string };

  constructor(private readonly opts: FaceTerminalOptions) {
    super();
    if (!ID_PATTERN.test(opts.deviceId))
      throw new SimError(
        SimErrorCode.BAD_OPTION,
        `device id must match ${ID_PATTERN}, got ${JSON.stringify(opts.deviceId)}`,
      );
    this.deviceId = opts.deviceId;
    this.serialNo = opts.lastSerialNo ?? 0;
    this.offsetMinutes =
      typeof opts.utcOffset === 'number' ? opts.utcOffset : parseUtcOffset(opts.utcOffset ?? '+08:00');
    this.clock = opts.clock ?? Date.now;
    this.log = opts.logger ?? childLogger('face-terminal', { deviceId: opts.deviceId });
    this.topics = {
      event: FaceTopic.event(this.deviceId),
      verdict: FaceTopic.verdict(this.deviceId),
      ack: FaceTopic.ack(this.deviceId),
      status: FaceTopic.status(this.deviceId),
    };
  }

  /** Starts connecting (and reconnecting forever); resolves at once. Use waitOnline() to wait. */
  async start(): Promise<void> {
    this.started = true;
    if (this.client) return;
    const options: IClientOptions = {
      clientId: this.deviceId,
      clean: true,
      protocolVersion: this.opts.protocolVersion ?? 4,
      reconnectPeriod: this.opts.reconnectPeriodMs ?? 500,
      // A real terminal keeps trying when the broker says "server unavailable" (the hub's login
      // throttle when many devices log in at once); mqtt.js 5 gives up on any CONNACK refusal
      // unless told (bench/latency.ts's 100 terminals: term-017.. never came online).
      reconnectOnConnackError: true,
      connectTimeout: this.opts.connectTimeoutMs ?? 2000,
      // We subscribe on every connect ourselves, before announcing `online`.
      resubscribe: false,
      will: { topic: this.topics.status, payload: Buffer.from('offline'), qos: 1, retain: true },
    };
    if (this.opts.username !== undefined) options.username = this.opts.username;
    if (this.opts.password !== undefined) options.password = this.opts.password;
    const client = connect(this.opts.brokerUrl, options);
    this.client = client;
    client.on('connect', () => this.onConnect(client));
    client.on('close', () => this.onDown(client));
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('error', (err) => {
      // Broker down is the offline mode, not news every 500 ms; a refused login is.
      const routine = /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH/.test(err.message);
      this.log[routine ? 'debug' : 'warn']({ err: err.message }, 'mqtt error');
    });
  }

  get isOnline(): boolean {
    return this.ready;
  }

  /** Resolves once connected and subscribed, or rejects with TG_SIM_TIMEOUT. */
  waitOnline(timeoutMs = 5000): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.off('online', on);
        reject(new SimError(SimErrorCode.TIMEOUT, `${this.deviceId} not online within ${timeoutMs} ms`));
      }, timeoutMs);
      const on = () => {
        clearTimeout(t);
        resolve();
      };
      this.once('online', on);
    });
  }

  private onConnect(client: MqttClient): void {
    if (this.client !== client) return;
    client.subscribe({ [this.topics.verdict]: { qos: 1 }, [this.topics.ack]: { qos: 1 } }, (err) => {
      if (this.client !== client || !client.connected) return;
      if (err) {
        this.log.error({ err: err.message }, 'subscribe failed; reconnecting');
        client.reconnect();
        return;
      }
      client.publish(this.topics.status, 'online', { qos: 1, retain: true });
      this.ready = true;
      this.log.info('online');
      this.emit('online');
      this.reupload();
      this.armResend();
    });
  }

  private onDown(client: MqttClient): void {
    if (this.client !== client || !this.ready) return;
    this.ready = false;
    this.disarmResend();
    this.log.info('offline');
    this.emit('offline');
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (topic === this.topics.verdict) {
      const r = parsePayload(FaceVerdict, payload);
      if (!r.ok) {
        this.log.warn({ code: r.error.code, err: r.error.message }, 'bad verdict ignored');
        return;
      }
      this.emit('verdict', r.value);
      const w = this.verdictWaiters.get(r.value.serialNo);
      if (!w) {
        this.log.info(
          { serialNo: r.value.serialNo },
          'verdict for no waiting event (late or duplicate) ignored',
        );
        return;
      }
      this.settle(this.verdictWaiters, r.value.serialNo, r.value);
    } else if (topic === this.topics.ack) {
      const r = parsePayload(FaceAck, payload);
      if (!r.ok) {
        this.log.warn({ code: r.error.code, err: r.error.message }, 'bad ack ignored');
        return;
      }
      const serialNo = r.value.serialNo;
      this.emit('ack', serialNo);
      if (this.cache.delete(serialNo))
        this.log.info({ serialNo, left: this.cache.size }, 'offline record acknowledged');
      this.settle(this.ackWaiters, serialNo, true);
    }
  }

  /**
   * A person shows their face. Resolves when the terminal has decided: verdict received,
   * verdict timed out, ack received or timed out, or at once when offline (record cached).
   */
  async present(person: FacePerson, po: PresentOptions = {}): Promise<PresentResult> {
    if (!this.started)
      throw new SimError(SimErrorCode.NOT_STARTED, `terminal ${this.deviceId} is not started`);
    const remoteCheck = po.remoteCheck ?? this.opts.remoteCheck ?? true;
    const realtime = this.ready;
    const serialNo = this.nextSerial();
    const event = buildFaceEvent({
      person,
      serialNo,
      atMs: po.atMs ?? this.clock(),
      utcOffsetMinutes: this.offsetMinutes,
      remoteCheck,
      isRealtime: realtime,
      thermometer: this.opts.thermometer,
    });
    // The terminal's own decision when nobody else decides: a known face opens.
    const localOpen = isRecognised(person);
    if (!realtime) {
      this.cache.set(serialNo, event);
      this.log.info({ serialNo, cached: this.cache.size }, 'offline: event cached');
      this.emit('cached', event);
      return {
        serialNo,
        event,
        verdict: undefined,
        opened: !remoteCheck && localOpen,
        timedOut: false,
        realtime,
        acked: false,
      };
    }
    const client = this.client as MqttClient; // ready implies a client
    if (remoteCheck) {
      // Wait first, then publish: a fast edge may answer before the PUBACK reaches us.
      const verdictP = this.wait(this.verdictWaiters, serialNo, this.opts.remoteCheckTimeoutMs ?? 3000);
      this.publishEvent(client, event);
      const verdict = await verdictP;
      const opened = verdict?.open === true;
      if (!verdict) this.log.info({ serialNo }, 'no verdict in time: denied');
      return { serialNo, event, verdict, opened, timedOut: !verdict, realtime, acked: false };
    }
    const ackP = this.wait(this.ackWaiters, serialNo, this.opts.ackTimeoutMs ?? 3000);
    this.publishEvent(client, event);
    const acked = (await ackP) === true;
    return { serialNo, event, verdict: undefined, opened: localOpen, timedOut: !acked, realtime, acked };
  }

  private nextSerial(): number {
    this.serialNo += 1;
    return this.serialNo;
  }

  get lastSerialNo(): number {
    return this.serialNo;
  }

  /** Offline records still waiting for their ack. */
  pendingOfflineRecords(): FaceEventWire[] {
    return [...this.cache.values()];
  }

  private publishEvent(client: MqttClient, event: FaceEventWire): void {
    client.publish(this.topics.event, JSON.stringify(event), { qos: 1 }, (err) => {
      if (err) this.log.warn({ serialNo: event.serialNo, err: err.message }, 'event publish failed');
    });
    this.log.info(
      { serialNo: event.serialNo, employeeNo: event.employeeNoString, realtime: event.isRealtime },
      'event',
    );
    this.emit('published', event);
  }

  private reupload(): void {
    const client = this.client;
    if (!client || !this.ready) return;
    for (const event of this.cache.values()) {
      this.publishEvent(client, event);
      this.emit('reuploaded', event);
    }
  }

  private armResend(): void {
    this.disarmResend();
    const every = this.opts.resendMs ?? 5000;
    this.resendTimer = setInterval(() => {
      if (this.cache.size > 0) this.reupload();
    }, every);
  }

  private disarmResend(): void {
    if (this.resendTimer) clearInterval(this.resendTimer);
    this.resendTimer = undefined;
  }

  private wait<T>(map: Map<number, Waiter<T>>, serialNo: number, ms: number): Promise<T | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        map.delete(serialNo);
        resolve(undefined);
      }, ms);
      map.set(serialNo, { resolve, timer });
    });
  }

  private settle<T>(map: Map<number, Waiter<T>>, serialNo: number, v: T): void {
    const w = map.get(serialNo);
    if (!w) return;
    map.delete(serialNo);
    clearTimeout(w.timer);
    w.resolve(v);
  }

  private releaseWaiters(): void {
    for (const m of [this.verdictWaiters, this.ackWaiters] as Map<number, Waiter<unknown>>[]) {
      for (const [serialNo, w] of m) {
        clearTimeout(w.timer);
        w.resolve(undefined);
        m.delete(serialNo);
      }
    }
  }

  /**
   * Network pulled: the connection drops without DISCONNECT, so the broker publishes the last
   * will. The terminal keeps working offline (events are cached); start() brings the network back.
   */
  async crash(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    this.wentDown();
    // Bounded: with no broker there is no socket to close and mqtt.js may never call back.
    await within(new Promise<void>((r) => client.end(true, {}, () => r())), 1000, undefined);
  }

  /** Orderly shutdown: `offline` (retained) published, then a clean disconnect. */
  async stop(): Promise<void> {
    this.started = false;
    this.releaseWaiters();
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    if (client.connected) {
      const sent = new Promise<void>((r) =>
        client.publish(this.topics.status, 'offline', { qos: 1, retain: true }, () => r()),
      );
      await within(sent, 1000, undefined);
    }
    this.wentDown();
    await within(new Promise<void>((r) => client.end(false, {}, () => r())), 1000, undefined);
  }

  private wentDown(): void {
    this.disarmResend();
    if (this.ready) {
      this.ready = false;
      this.emit('offline');
    }
  }
}
