/** In-memory stand-ins for the gate's I/O, shared by the core's tests and benchmarks. */
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import { type NewReading, type ReadingRecorder, readingId } from '../storage/types.ts';
import type { GateActuator, GateState, Publisher } from './gate.ts';

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
