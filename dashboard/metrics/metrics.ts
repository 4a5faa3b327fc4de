/**
 * Prometheus metrics on a private Registry (several dashboards in one process, as in tests, never
 * share or double-register). Gauges read the live state when scraped; counters count wire events.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { AlertsService } from '../alerts/types.ts';
import type { CommandService } from '../commands/commands.ts';
import type { GateBoard } from '../wire/gate-board.ts';

export interface MetricsSources {
  board: GateBoard;
  alerts: AlertsService;
  commands: CommandService;
  feedClients: () => number;
  mqttConnected: () => boolean;
}

export class DashboardMetrics {
  readonly registry = new Registry();
  private readonly bad: Counter<'kind' | 'code'>;
  private readonly messages: Counter<'kind'>;
  private readonly decisions: Counter<'gate' | 'decision'>;
  private readonly handlerErrors: Counter<'kind'>;

  constructor(src: MetricsSources) {
    const r = [this.registry];
    const s = (): MetricsSources | undefined => src;
    this.bad = new Counter({
      name: 'tg_dash_mqtt_bad_payloads_total',
      help: 'MQTT payloads refused (not JSON, wrong schema, wrong site, too large), by topic kind and code',
      labelNames: ['kind', 'code'],
      registers: r,
    });
    this.messages = new Counter({
      name: 'tg_dash_mqtt_messages_total',
      help: 'MQTT messages accepted, by topic kind',
      labelNames: ['kind'],
      registers: r,
    });
    this.decisions = new Counter({
      name: 'tg_dash_decisions_total',
      help: 'Decisions received per gate and decision (redeliveries not counted)',
      labelNames: ['gate', 'decision'],
      registers: r,
    });
    this.handlerErrors = new Counter({
      name: 'tg_dash_handler_errors_total',
      help: 'Valid messages whose processing threw (logged), by topic kind',
      labelNames: ['kind'],
      registers: r,
    });
    new Gauge({
      name: 'tg_dash_mqtt_connected',
      help: '1 while the dashboard is connected to the broker',
      registers: r,
      collect() {
        this.set(s()?.mqttConnected() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'tg_dash_gates_online',
      help: 'Gates online (fleet snapshot, else the gates own status)',
      registers: r,
      collect() {
        const b = s()?.board;
        if (b) this.set(b.onlineCount());
      },
    });
    new Gauge({
      name: 'tg_dash_gates_known',
      help: 'Gates the dashboard has heard of',
      registers: r,
      collect() {
        const b = s()?.board;
        if (b) this.set(b.gateIds().length);
      },
    });
    new Gauge({
      name: 'tg_dash_alerts_open',
      help: 'Alerts not cleared, by lifecycle state and severity',
      labelNames: ['state', 'severity'],
      registers: r,
      collect() {
        const a = s()?.alerts;
        if (!a) return;
        this.reset();
        const n = new Map<string, number>();
        for (const x of a.list({ state: 'open', limit: 100_000 })) {
          const k = `${x.state}\u0000${x.severity}`;
          n.set(k, (n.get(k) ?? 0) + 1);
        }
        for (const [k, v] of n) {
          const [state, severity] = k.split('\u0000') as [string, string];
          this.set({ state, severity }, v);
        }
      },
    });
    new Gauge({
      name: 'tg_dash_gate_passed_today',
      help: 'Passages with decision pass today (site time zone), per gate',
      labelNames: ['gate'],
      registers: r,
      collect() {
        const b = s()?.board;
        if (!b) return;
        this.reset();
        for (const [gate, c] of b.todayCounts()) this.set({ gate }, c.passed);
      },
    });
    new Gauge({
      name: 'tg_dash_gate_flagged_today',
      help: 'Passages flagged today (site time zone), per gate',
      labelNames: ['gate'],
      registers: r,
      collect() {
        const b = s()?.board;
        if (!b) return;
        this.reset();
        for (const [gate, c] of b.todayCounts()) this.set({ gate }, c.flagged);
      },
    });
    new Gauge({
      name: 'tg_dash_gate_counter',
      help: "The gate's own counters since it started, from its last heartbeat",
      labelNames: ['gate', 'counter'],
      registers: r,
      collect() {
        const b = s()?.board;
        if (!b) return;
        this.reset();
        for (const gate of b.gateIds()) {
          const h = b.heartbeat(gate);
          if (h) for (const [counter, v] of Object.entries(h.counters)) this.set({ gate, counter }, v);
        }
      },
    });
    new Gauge({
      name: 'tg_dash_gate_outbox_depth',
      help: "Readings waiting in the gate's outbox (not yet in the readings store)",
      labelNames: ['gate'],
      registers: r,
      collect() {
        const b = s()?.board;
        if (!b) return;
        this.reset();
        for (const t of b.tiles()) if (t.outbox) this.set({ gate: t.gateId }, t.outbox.depth);
      },
    });
    new Gauge({
      name: 'tg_dash_feed_clients',
      help: 'Browsers connected to the live feed',
      registers: r,
      collect() {
        this.set(s()?.feedClients() ?? 0);
      },
    });
    new Gauge({
      name: 'tg_dash_commands',
      help: 'Gate commands by state',
      labelNames: ['state'],
      registers: r,
      collect() {
        const c = s()?.commands;
        if (!c) return;
        for (const [state, v] of Object.entries(c.counts())) this.set({ state }, v);
      },
    });
  }

  badPayload(kind: string, code: string): void {
    this.bad.inc({ kind, code });
  }
  message(kind: string): void {
    this.messages.inc({ kind });
  }
  decision(gate: string, decision: string): void {
    this.decisions.inc({ gate, decision });
  }
  handlerError(kind: string): void {
    this.handlerErrors.inc({ kind });
  }

  /** Current value of a counter series, for tests and /healthz-style checks. */
  async badPayloadCount(): Promise<number> {
    const m = await this.bad.get();
    return m.values.reduce((n, v) => n + v.value, 0);
  }
}
