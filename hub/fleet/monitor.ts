/**
 * The fleet: every gate's and terminal's state as the hub hears it. Pure logic fed by the hub
 * (messages, ticks); it raises `gate-offline` alerts when a device goes silent and clears them when
 * it comes back, and says when its snapshot changed. The dashboard (same process) reads it through
 * snapshot() and the 'change' / 'alert' events.
 *
 * Offline means: a gate's status says so (its last will, or its own clean stop), or no status,
 * heartbeat or decision for `heartbeatTimeoutMs`; a terminal's status says so, or it has had no
 * connection for `heartbeatTimeoutMs` (terminals send no heartbeats; the broker's keepalive
 * notices a dead one and publishes its will).
 */
import { EventEmitter } from 'node:events';
import type { AlertMessage, GateStatus, Heartbeat } from '../../protocols/gate/messages.ts';
import { SCHEMA_VERSION } from '../../protocols/gate/messages.ts';
import type {
  FleetGate,
  FleetSnapshot,
  FleetTerminal,
  OfflineReason,
  SecurityTotals,
} from '../../protocols/hub/fleet.ts';
import { GateTopic, HubTopic } from '../../protocols/topics.ts';

export interface FleetOptions {
  siteId: string;
  heartbeatTimeoutMs: number;
  /** Is a client with this id connected to the broker right now? (terminals) */
  isConnected: (clientId: string) => boolean;
  hubInfo: () => FleetSnapshot['hub'];
  accessList: () => FleetSnapshot['accessList'];
  security: () => SecurityTotals;
}

export interface FleetAlert {
  topic: string;
  alert: AlertMessage;
}

export interface FleetEvents {
  /**
   * The snapshot changed. `material`: a device's state did (online, offline, thermometer, gate
   * state, versions, topology); false when only its times and counters moved (a heartbeat or a
   * passage of a gate that is online and otherwise the same), which at 1,000 gates is every
   * second: the hub republishes those less often (hub/fleet/pacer.ts).
   */
  change: [material: boolean];
  alert: [FleetAlert];
}

export class FleetMonitor extends EventEmitter<FleetEvents> {
  private readonly gates = new Map<string, FleetGate>();
  private readonly terminals = new Map<string, FleetTerminal>();
  private readonly alerts = new Map<string, FleetAlert>();
  /** terminal → gate, from the credentials file. */
  private terminalGate = new Map<string, string>();

  constructor(private readonly o: FleetOptions) {
    super();
  }

  /** Gates and terminals known from the credentials file appear even before they are heard. */
  setTopology(
    gates: Array<{ gateId: string; terminalId: string | null }>,
    terminals: string[],
    now: number,
  ): void {
    this.terminalGate = new Map();
    for (const g of gates) {
      if (g.terminalId) this.terminalGate.set(g.terminalId, g.gateId);
      const gate = this.gate(g.gateId, now);
      gate.terminalId = g.terminalId;
    }
    for (const t of [...terminals, ...this.terminalGate.keys()]) this.terminal(t, now);
    for (const t of this.terminals.values()) t.gateId = this.terminalGate.get(t.terminalId) ?? null;
    this.emit('change', true);
  }

  /**
   * Retained state found at start (the previous run's): taken as it was, offline ones with their
   * alert active but not announced again; online ones must show up within the timeout.
   */
  seedGateStatus(s: GateStatus, now: number): void {
    const g = this.gate(s.gateId, now);
    this.applyStatus(g, s);
    g.lastSeenAt = now;
    g.online = s.online;
    g.offlineReason = s.online ? null : s.at === 0 ? 'last-will' : 'stopped';
    g.since = now;
    if (!s.online)
      this.raise(
        g.gateId,
        g.gateId,
        `gate ${g.gateId} offline (${g.offlineReason}) when the hub started`,
        now,
        false,
      );
    this.emit('change', true);
  }

  seedTerminalStatus(terminalId: string, online: boolean, now: number): void {
    const t = this.terminal(terminalId, now);
    t.online = online;
    t.offlineReason = online ? null : 'last-will';
    t.lastSeenAt = now;
    t.since = now;
    if (!online) this.raiseTerminal(t, now, false);
    this.emit('change', true);
  }

  onGateStatus(s: GateStatus, now: number): void {
    const g = this.gate(s.gateId, now);
    this.applyStatus(g, s);
    // The will carries at = 0 (it is written when the gate connects); a clean stop carries the time.
    if (s.online) this.markOnline(g, now);
    else this.markOffline(g, s.at === 0 ? 'last-will' : 'stopped', now);
    this.emit('change', true);
  }

  onHeartbeat(h: Heartbeat, now: number): void {
    const g = this.gate(h.gateId, now);
    const material =
      !g.online ||
      g.thermometer !== h.thermometer ||
      g.gateState !== h.gateState ||
      g.accessListVersion !== h.accessListVersion;
    g.lastHeartbeatAt = now;
    g.thermometer = h.thermometer;
    g.gateState = h.gateState;
    g.counters = h.counters;
    g.outbox = h.outbox;
    g.uptimeS = h.uptimeS;
    g.accessListVersion = h.accessListVersion;
    this.markOnline(g, now);
    this.emit('change', material);
  }

  onDecision(gateId: string, now: number): void {
    const g = this.gate(gateId, now);
    const material = !g.online;
    g.lastDecisionAt = now;
    this.markOnline(g, now);
    this.emit('change', material);
  }

  onTerminalStatus(terminalId: string, online: boolean, now: number): void {
    const t = this.terminal(terminalId, now);
    const material = t.online !== online;
    t.lastSeenAt = now;
    if (online && !t.online) {
      t.online = true;
      t.offlineReason = null;
      t.since = now;
      this.clear(terminalKey(terminalId), now);
    } else if (!online && t.online) {
      t.online = false;
      t.offlineReason = 'last-will';
      t.since = now;
      this.raiseTerminal(t, now, true);
    }
    this.emit('change', material);
  }

  /** Called every second or so: heartbeat timeouts. */
  tick(now: number): void {
    let changed = false;
    for (const g of this.gates.values()) {
      if (g.online && g.lastSeenAt !== null && now - g.lastSeenAt > this.o.heartbeatTimeoutMs) {
        this.markOffline(g, 'heartbeat-timeout', now);
        changed = true;
      }
    }
    for (const t of this.terminals.values()) {
      if (
        t.online &&
        !this.o.isConnected(t.terminalId) &&
        now - Math.max(t.since, t.lastSeenAt ?? 0) > this.o.heartbeatTimeoutMs
      ) {
        t.online = false;
        t.offlineReason = 'not-connected';
        t.since = now;
        this.raiseTerminal(t, now, true);
        changed = true;
      }
    }
    if (changed) this.emit('change', true);
  }

  /**
   * `copy` false: the entries are the monitor's own, valid until its next change (for a caller that
   * serialises the snapshot at once: a copy of 2,000 devices took tens of milliseconds a time).
   */
  snapshot(now: number, copy = true): FleetSnapshot {
    const byId = <T>(m: Map<string, T>) =>
      [...m.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, v]) => (copy ? structuredClone(v) : v));
    return {
      v: SCHEMA_VERSION,
      siteId: this.o.siteId,
      at: now,
      hub: this.o.hubInfo(),
      accessList: this.o.accessList(),
      gates: byId(this.gates),
      terminals: byId(this.terminals),
      activeAlerts: [...this.alerts.values()].map((a) => structuredClone(a.alert)),
      security: { ...this.o.security() },
    };
  }

  gateState(gateId: string): FleetGate | undefined {
    const g = this.gates.get(gateId);
    return g ? structuredClone(g) : undefined;
  }

  terminalState(terminalId: string): FleetTerminal | undefined {
    const t = this.terminals.get(terminalId);
    return t ? structuredClone(t) : undefined;
  }

  private gate(gateId: string, now: number): FleetGate {
    let g = this.gates.get(gateId);
    if (!g) {
      g = {
        gateId,
        online: false,
        offlineReason: 'never-seen',
        since: now,
        lastSeenAt: null,
        lastHeartbeatAt: null,
        lastDecisionAt: null,
        thermometer: 'none',
        gateState: 'locked',
        softwareVersion: '',
        configVersion: '',
        accessListVersion: null,
        policyVersion: null,
        policyOverrides: [],
        holdsVersion: null,
        terminalClockOffsetMs: null,
        outbox: null,
        counters: null,
        uptimeS: null,
        terminalId: null,
      };
      this.gates.set(gateId, g);
    }
    return g;
  }

  private terminal(terminalId: string, now: number): FleetTerminal {
    let t = this.terminals.get(terminalId);
    if (!t) {
      t = {
        terminalId,
        gateId: this.terminalGate.get(terminalId) ?? null,
        online: false,
        offlineReason: 'never-seen',
        since: now,
        lastSeenAt: null,
      };
      this.terminals.set(terminalId, t);
    }
    return t;
  }

  private applyStatus(g: FleetGate, s: GateStatus): void {
    // The will is a template written at connect time: it knows nothing current but "offline".
    if (s.at !== 0) {
      g.thermometer = s.thermometer;
      g.gateState = s.gateState;
      g.configVersion = s.configVersion;
      g.accessListVersion = s.accessListVersion;
      g.policyVersion = s.policyVersion;
      g.policyOverrides = s.policyOverrides;
      g.holdsVersion = s.holdsVersion;
      g.terminalClockOffsetMs = s.terminalClockOffsetMs;
      if (s.terminal !== undefined) g.terminal = s.terminal;
    }
    if (s.softwareVersion) g.softwareVersion = s.softwareVersion;
  }

  private markOnline(g: FleetGate, now: number): void {
    g.lastSeenAt = now;
    if (g.online) return;
    g.online = true;
    g.offlineReason = null;
    g.since = now;
    this.clear(g.gateId, now);
  }

  private markOffline(g: FleetGate, reason: OfflineReason, now: number): void {
    if (!g.online) {
      if (g.offlineReason === 'never-seen') g.offlineReason = reason;
      return;
    }
    g.online = false;
    g.offlineReason = reason;
    g.since = now;
    this.raise(g.gateId, g.gateId, `gate ${g.gateId} offline (${reason})`, now, true);
  }

  private raiseTerminal(t: FleetTerminal, now: number, announce: boolean): void {
    const detail = `face terminal ${t.terminalId} offline (${t.offlineReason})`;
    this.raise(terminalKey(t.terminalId), t.gateId ?? t.terminalId, detail, now, announce, {
      id: t.terminalId,
      claimed: t.gateId !== null,
    });
  }

  private raise(
    key: string,
    gateId: string,
    detail: string,
    now: number,
    announce: boolean,
    terminal?: { id: string; claimed: boolean },
  ): void {
    if (this.alerts.has(key)) return;
    // A terminal no gate claims is reported on the hub's own topic.
    const hubTopic = terminal !== undefined && !terminal.claimed;
    const alert: AlertMessage = {
      v: SCHEMA_VERSION,
      // One id for the raise and its clear, so a reader can pair them.
      id: `${this.o.siteId}:${key}:gate-offline:${now}`,
      siteId: this.o.siteId,
      gateId,
      kind: 'gate-offline',
      severity: 'major',
      at: now,
      active: true,
      employeeNo: null,
      name: null,
      temperatureTenths: null,
      readingId: null,
      detail,
      // The condition is the terminal's, not its gate's (alert-kinds.ts conditionKey).
      ...(terminal ? { device: { kind: 'terminal' as const, id: terminal.id } } : {}),
    };
    const topic = hubTopic ? HubTopic.alert(this.o.siteId) : GateTopic.alert(this.o.siteId, gateId);
    const entry = { topic, alert };
    this.alerts.set(key, entry);
    if (announce) this.emit('alert', entry);
  }

  private clear(key: string, now: number): void {
    const entry = this.alerts.get(key);
    if (!entry) return;
    this.alerts.delete(key);
    const detail = entry.alert.detail.replace(/offline.*$/, 'back online');
    this.emit('alert', { topic: entry.topic, alert: { ...entry.alert, at: now, active: false, detail } });
  }
}

const terminalKey = (terminalId: string) => `terminal/${terminalId}`;
