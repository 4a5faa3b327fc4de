/**
 * The site as a dashboard sees it: one MQTT client with a persistent session on everything under
 * `tg/{site}/`, recording decisions, alerts, heartbeats (outbox depth) and gate status with the
 * time each arrived, and the alert states the dashboard publishes.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { AlertState } from '../../protocols/dashboard/messages.ts';
import type { AlertMessage, DecisionMessage, GateStatus, Heartbeat } from '../../protocols/gate/messages.ts';

export interface Seen<T> {
  at: number;
  msg: T;
}

export class Observer {
  readonly decisions: Seen<DecisionMessage>[] = [];
  readonly alerts: Seen<AlertMessage>[] = [];
  readonly heartbeats: Seen<Heartbeat>[] = [];
  readonly statuses: Seen<GateStatus>[] = [];
  /** `tg/{site}/dashboard/alert`: the dashboard's alert states (not the gates' alert messages). */
  readonly dashboardAlerts: Seen<AlertState>[] = [];
  private client: MqttClient | undefined;

  constructor(
    private readonly url: string,
    private readonly site: string,
    private readonly username: string,
    private readonly password: string,
  ) {}

  async start(): Promise<void> {
    const c = mqtt.connect(this.url, {
      clientId: this.username,
      username: this.username,
      password: this.password,
      clean: false,
      reconnectPeriod: 300,
    });
    this.client = c;
    c.on('connect', (ack) => {
      if (!ack.sessionPresent) c.subscribe(`tg/${this.site}/#`, { qos: 1 });
    });
    c.on('error', () => {});
    c.on('message', (topic, payload) => {
      const at = Date.now();
      let msg: unknown;
      try {
        msg = JSON.parse(payload.toString());
      } catch {
        return;
      }
      if (topic === `tg/${this.site}/dashboard/alert`)
        this.dashboardAlerts.push({ at, msg: msg as AlertState });
      else if (topic.endsWith('/decision')) this.decisions.push({ at, msg: msg as DecisionMessage });
      else if (topic.endsWith('/alert')) this.alerts.push({ at, msg: msg as AlertMessage });
      else if (topic.endsWith('/heartbeat')) this.heartbeats.push({ at, msg: msg as Heartbeat });
      else if (topic.endsWith('/status')) this.statuses.push({ at, msg: msg as GateStatus });
    });
    await new Promise<void>((resolve) => c.once('connect', () => resolve()));
  }

  /** Latest heartbeat of a gate. */
  heartbeat(gateId: string): Heartbeat | undefined {
    for (let i = this.heartbeats.length - 1; i >= 0; i--) {
      const h = this.heartbeats[i] as Seen<Heartbeat>;
      if (h.msg.gateId === gateId) return h.msg;
    }
    return undefined;
  }

  /** The gate announced itself online at or after `since` (receive time). */
  onlineSince(gateId: string, since: number): boolean {
    return this.statuses.some((s) => s.msg.gateId === gateId && s.msg.online && s.at >= since);
  }

  alertsOf(kind: string, gateId?: string, from = 0, to = Number.POSITIVE_INFINITY): Seen<AlertMessage>[] {
    return this.alerts.filter(
      (a) =>
        a.msg.kind === kind &&
        (gateId === undefined || a.msg.gateId === gateId) &&
        a.at >= from &&
        a.at <= to,
    );
  }

  async stop(): Promise<void> {
    await this.client?.endAsync(true);
  }
}
