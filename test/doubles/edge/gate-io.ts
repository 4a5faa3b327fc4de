/** In-memory stand-ins for the gate's I/O, shared by the core's tests and benchmarks. */
import type { ReadingRecord } from '../../../protocols/gate/messages.ts';
import { type NewReading, type ReadingRecorder, readingId } from '../../../edge/storage/types.ts';
import pino from 'pino';
import { parseEdgeConfig } from '../../../edge/config/load.ts';
import type { Measurement } from '../../../edge/thermometer/types.ts';
import { AccessList } from '../../../edge/core/access-list.ts';
import type { SiteHolds } from '../../../edge/core/holds.ts';
import { FakeClock } from './fake-clock.ts';
import { type GateActuator, type GateState, Gate, type Publisher } from '../../../edge/core/gate.ts';

export class FakeActuator implements GateActuator {
  releases: number[] = [];
  signals: string[] = [];
  lockdown = false;
  fireAlarm = false;
  release(openMs: number): void {
    if (!this.lockdown || this.fireAlarm) this.releases.push(openMs);
  }
  signal(kind: 'pass' | 'deny' | 'flag'): void {
    this.signals.push(kind);
  }
  setLockdown(on: boolean): void {
    this.lockdown = on;
  }
  get state(): GateState {
    return this.fireAlarm ? 'fire' : this.lockdown ? 'lockdown' : 'locked';
  }
}

export class ArrayRecorder implements ReadingRecorder {
  records: ReadingRecord[] = [];
  /** What accepting() answers (false: a recorder that would not keep the next reading). */
  accept = true;
  /** When set, record() throws it (a recorder that cannot keep the reading at all). */
  failWith: Error | null = null;
  private seq = 0;
  record(r: NewReading): ReadingRecord {
    if (this.failWith) throw this.failWith;
    const seq = ++this.seq;
    const rec: ReadingRecord = { v: 1, id: readingId(r.siteId, r.gateId, seq), seq, ...r };
    this.records.push(rec);
    return rec;
  }
  private readonly events = new Set<string>();
  recordEvent(r: NewReading, key: string): ReadingRecord | undefined {
    if (this.events.has(key)) return undefined;
    const rec = this.record(r);
    this.events.add(key);
    return rec;
  }
  hasEvent(key: string): boolean {
    return this.events.has(key);
  }
  accepting(): boolean {
    return this.accept;
  }
  stats() {
    return { depth: this.records.length, oldestAgeS: null, capacity: 1e9, forwarded: 0, lastError: null };
  }
  async close(): Promise<void> {}
}

export class CapturingBus implements Publisher {
  messages: { topic: string; payload: string; retain: boolean }[] = [];
  publish(topic: string, payload: string, opts?: { qos?: 0 | 1; retain?: boolean }): void {
    this.messages.push({ topic, payload, retain: opts?.retain ?? false });
  }
  on(topic: string): unknown[] {
    return this.messages.filter((m) => m.topic === topic).map((m) => JSON.parse(m.payload));
  }
}

const silent = pino({ level: 'silent' });

export interface TestGateOptions {
  thermometer?: Record<string, unknown>;
  terminal?: Record<string, unknown>;
  policy?: Record<string, unknown>;
  /** The site's holds as this gate holds them (default: in memory, empty). */
  holds?: SiteHolds;
  terminalClockPath?: string;
}

/**
 * One gate on fakes (clock, turnstile, outbox, bus), a Modbus thermometer and terminal T1, with
 * nobody refused for the access list or a mask unless `policy` says so; plus builders for a
 * measurement read now and a face event shown at a given time.
 */
export function testGate(o: TestGateOptions = {}) {
  const cfg = parseEdgeConfig({
    siteId: 's',
    gateId: 'g',
    mqtt: { url: 'mqtt://127.0.0.1:1883' },
    thermometer: { protocol: 'modbus-ir', port: '/dev/null', ...o.thermometer },
    terminal: { deviceId: 'T1', ...o.terminal },
    policy: { accessListRequired: false, maskRequired: false, ...o.policy },
  });
  const clock = new FakeClock();
  const io = new FakeActuator();
  const recorder = new ArrayRecorder();
  const bus = new CapturingBus();
  const gate = new Gate({
    cfg,
    clock,
    log: silent,
    io,
    recorder,
    bus,
    accessList: new AccessList(),
    ...(o.holds ? { holds: o.holds } : {}),
    ...(o.terminalClockPath ? { terminalClockPath: o.terminalClockPath } : {}),
    thermometerState: () => 'online',
    requestMeasurement: () => {},
  });
  let seq = 0;
  const measurement = (rawTenths: number): Measurement => ({
    at: clock.now(),
    sensor: 'modbus-ir',
    rawTenths,
    ambientTenths: 251,
    sensorSeq: ++seq,
    valid: true,
    sensorFault: false,
    belowRange: false,
    aboveRange: false,
    distanceMm: 450,
  });
  const faceEvent = (serialNo: number, at = clock.now()) =>
    JSON.stringify({
      serialNo,
      dateTime: new Date(at).toISOString(),
      employeeNoString: `E${serialNo}`,
      similarity: 0.9,
      mask: 'yes',
      remoteCheck: true,
      isRealtime: true,
    });
  return { cfg, clock, io, recorder, bus, gate, measurement, faceEvent };
}
