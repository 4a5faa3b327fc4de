/**
 * What the OPC UA server shows of each gate, kept from the gates' own messages (already parsed):
 * pure logic, no node-opcua, so it is tested without a server. Every value carries the gate's own
 * timestamp; `quality` says how far it can be trusted now.
 *
 * Quality when a gate is offline (the hub's fleet says so: last will, clean stop or heartbeat
 * timeout):
 * - live state (GateState, ThermometerState, OutboxDepth) → `bad`: the hub cannot know it any more
 *   (a fire alarm may have released the gate since), and a SCADA must not act on it;
 * - passage history (LastTemperature, LastResult, PassedToday, FlaggedToday) → `uncertain`: still
 *   true of the past, only possibly not the latest (the gate keeps deciding and counting offline).
 * A value never received is `none` (the server answers BadWaitingForInitialData).
 */
import type { DecisionMessage, GateStatus, Heartbeat } from '../../protocols/gate/messages.ts';

export const GATE_FIELDS = [
  'LastTemperature',
  'LastResult',
  'GateState',
  'ThermometerState',
  'Online',
  'PassedToday',
  'FlaggedToday',
  'OutboxDepth',
] as const;
export type GateField = (typeof GATE_FIELDS)[number];

export type Quality = 'good' | 'uncertain' | 'bad' | 'none';

export interface FieldValue {
  /** °C for LastTemperature (tenths / 10), decision for LastResult, counts, booleans ... */
  value: number | string | boolean | null;
  /** The gate's time (epoch ms) for what it said; the hub's for Online. */
  at: number | null;
  quality: Quality;
}

interface Stamped<T> {
  value: T;
  at: number;
}

interface GateView {
  online: boolean;
  onlineSince: number;
  temperature: Stamped<number> | null;
  result: Stamped<string> | null;
  gateState: Stamped<string> | null;
  thermometer: Stamped<string> | null;
  outboxDepth: Stamped<number> | null;
  day: string;
  passed: number;
  flagged: number;
  countsAt: number | null;
  /** Reading ids counted today: a QoS 1 redelivery or an outbox replay is not a second person. */
  counted: Set<string>;
}

const LIVE: ReadonlySet<GateField> = new Set(['GateState', 'ThermometerState', 'OutboxDepth']);

export interface SiteModelOptions {
  timeZone: string;
  now: () => number;
  /** Called with the fields of a gate whose value or quality may have changed. */
  onChange: (gateId: string, fields: readonly GateField[]) => void;
  /** Called once per gate, before its first onChange. */
  onGate: (gateId: string) => void;
}

export class SiteModel {
  private readonly gates = new Map<string, GateView>();
  private readonly dayOf: (t: number) => string;

  constructor(private readonly o: SiteModelOptions) {
    // en-CA formats as YYYY-MM-DD: a calendar day of the site, whatever the server's zone.
    const f = new Intl.DateTimeFormat('en-CA', {
      timeZone: o.timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    this.dayOf = (t) => f.format(new Date(t));
  }

  gateIds(): string[] {
    return [...this.gates.keys()];
  }

  has(gateId: string): boolean {
    return this.gates.has(gateId);
  }

  /** Makes sure a gate exists (heard of in the fleet, on its topics or in an alert). */
  ensure(gateId: string): void {
    this.gate(gateId);
  }

  private gate(gateId: string): GateView {
    let g = this.gates.get(gateId);
    if (!g) {
      const now = this.o.now();
      g = {
        online: false,
        onlineSince: now,
        temperature: null,
        result: null,
        gateState: null,
        thermometer: null,
        outboxDepth: null,
        day: this.dayOf(now),
        passed: 0,
        flagged: 0,
        countsAt: null,
        counted: new Set(),
      };
      this.gates.set(gateId, g);
      this.o.onGate(gateId);
    }
    return g;
  }

  setOnline(gateId: string, online: boolean, since: number): void {
    const g = this.gate(gateId);
    if (g.online === online) return;
    g.online = online;
    g.onlineSince = since;
    this.o.onChange(gateId, GATE_FIELDS);
  }

  onStatus(s: GateStatus): void {
    const g = this.gate(s.gateId);
    // A last will carries at = 0 and the state of when the gate connected: nothing to learn.
    if (s.at === 0) return;
    this.state(s.gateId, g, s.gateState, s.thermometer, s.at);
  }

  onHeartbeat(h: Heartbeat): void {
    const g = this.gate(h.gateId);
    const changed: GateField[] = [];
    if (!g.outboxDepth || h.at >= g.outboxDepth.at) {
      if (g.outboxDepth?.value !== h.outbox.depth) changed.push('OutboxDepth');
      g.outboxDepth = { value: h.outbox.depth, at: h.at };
    }
    if (changed.length) this.o.onChange(h.gateId, changed);
    this.state(h.gateId, g, h.gateState, h.thermometer, h.at);
  }

  private state(gateId: string, g: GateView, gateState: string, thermometer: string, at: number): void {
    const changed: GateField[] = [];
    if (!g.gateState || at >= g.gateState.at) {
      if (g.gateState?.value !== gateState) changed.push('GateState');
      g.gateState = { value: gateState, at };
    }
    if (!g.thermometer || at >= g.thermometer.at) {
      if (g.thermometer?.value !== thermometer) changed.push('ThermometerState');
      g.thermometer = { value: thermometer, at };
    }
    if (changed.length) this.o.onChange(gateId, changed);
  }

  onDecision(gateId: string, d: DecisionMessage): void {
    const g = this.gate(gateId);
    this.rollOver(gateId, g);
    const r = d.reading;
    const changed: GateField[] = [];
    // "Last" is the latest passage: an offline record replayed later does not replace it.
    if (!g.result || r.at >= g.result.at) {
      g.result = { value: r.decision, at: r.at };
      changed.push('LastResult');
      if (r.temperatureTenths !== null) {
        g.temperature = { value: r.temperatureTenths / 10, at: r.at };
        changed.push('LastTemperature');
      }
    }
    if (this.dayOf(r.at) === g.day && !g.counted.has(r.id)) {
      g.counted.add(r.id);
      if (r.decision === 'pass') {
        g.passed++;
        changed.push('PassedToday');
      } else if (r.decision === 'flagged') {
        g.flagged++;
        changed.push('FlaggedToday');
      }
      if (r.decision === 'pass' || r.decision === 'flagged') g.countsAt = Math.max(g.countsAt ?? 0, r.at);
    }
    if (changed.length) this.o.onChange(gateId, changed);
  }

  /** Call now and then (the server does every few seconds): today's counts start at 0 at midnight. */
  tick(): void {
    for (const [gateId, g] of this.gates) this.rollOver(gateId, g);
  }

  private rollOver(gateId: string, g: GateView): void {
    const now = this.o.now();
    const day = this.dayOf(now);
    if (day === g.day) return;
    g.day = day;
    g.passed = 0;
    g.flagged = 0;
    g.countsAt = now;
    g.counted.clear();
    this.o.onChange(gateId, ['PassedToday', 'FlaggedToday']);
  }

  isOnline(gateId: string): boolean {
    return this.gates.get(gateId)?.online ?? false;
  }

  value(gateId: string, field: GateField): FieldValue {
    const g = this.gate(gateId);
    const raw = ((): Stamped<number | string | boolean> | null => {
      switch (field) {
        case 'LastTemperature':
          return g.temperature;
        case 'LastResult':
          return g.result;
        case 'GateState':
          return g.gateState;
        case 'ThermometerState':
          return g.thermometer;
        case 'OutboxDepth':
          return g.outboxDepth;
        case 'Online':
          return { value: g.online, at: g.onlineSince };
        case 'PassedToday':
          return { value: g.passed, at: g.countsAt ?? g.onlineSince };
        case 'FlaggedToday':
          return { value: g.flagged, at: g.countsAt ?? g.onlineSince };
      }
    })();
    if (!raw) return { value: null, at: null, quality: 'none' };
    const quality: Quality = field === 'Online' || g.online ? 'good' : LIVE.has(field) ? 'bad' : 'uncertain';
    return { value: raw.value, at: raw.at, quality };
  }
}
