/**
 * Keeps the OPC UA alarm conditions in step with the dashboard's alerts (AlertState on
 * `dashboard/alert`, the retained AlertStateList on `dashboard/alerts`). Pure: it turns what
 * arrives into actions on conditions; server.ts applies them to the address space.
 *
 * The dashboard owns the alerts. An acknowledgement from OPC UA is applied locally at once (the
 * client sees its own action) and sent to the dashboard as an AlertAckRequest; until the dashboard's
 * acknowledged state comes back, an older unacknowledged state does not undo it.
 *
 * No personal data: the condition's message names the gate and the temperature, never the person
 * (anonymous OPC UA sessions may read it); the dashboard shows who.
 */
import { OPCUA_KINDS, type OpcuaKind } from '../../protocols/gate/alert-kinds.ts';
import type { AlertKind } from '../../protocols/gate/messages.ts';
import type { AlertState, AlertStateList } from '../../protocols/dashboard/messages.ts';

/** The alerts shown as OPC UA conditions (the registry's `opcua`); the others stay on the dashboard. */
export const MIRRORED_KINDS = OPCUA_KINDS;
export type MirroredKind = OpcuaKind;
const MIRRORED: ReadonlySet<string> = new Set(MIRRORED_KINDS);

/** OPC UA severity 1..1000 (Part 9: 801-1000 high ... 1-200 low). */
export const SEVERITY: Record<AlertState['severity'], number> = {
  critical: 900,
  major: 700,
  minor: 400,
  info: 100,
};

export interface ConditionView {
  alertId: string;
  gateId: string;
  kind: MirroredKind;
  severity: number;
  active: boolean;
  acked: boolean;
  /** Who acknowledged (`opcua:<user>` or the dashboard user), null while unacknowledged. */
  ackedBy: string | null;
  message: string;
  /** Source time of this state (raisedAt, acknowledgedAt, clearedAt). */
  time: number;
}

export type MirrorAction =
  | { op: 'raise'; view: ConditionView }
  | { op: 'update'; view: ConditionView }
  | { op: 'ack'; view: ConditionView }
  | { op: 'clear'; view: ConditionView };

interface Known {
  view: ConditionView;
  updatedAt: number;
  /** Set while our own acknowledgement has not come back from the dashboard yet. */
  localAckAt: number | null;
  occurrences: number;
}

/** Cleared ids are remembered this long, so a late or repeated state cannot raise them again. */
const TOMBSTONE_MS = 24 * 3600_000;

export function messageOf(
  kind: MirroredKind,
  gateId: string,
  tenths: number | null,
  occurrences: number,
): string {
  const times = occurrences > 1 ? ` (${occurrences} times)` : '';
  switch (kind) {
    case 'fever':
      return `Fever${tenths === null ? '' : ` ${(tenths / 10).toFixed(1)} °C`} at ${gateId}${times}`;
    case 'sensor-fault':
      return `Thermometer fault at ${gateId}${times}`;
    case 'thermometer-offline':
      return `Thermometer offline at ${gateId}${times}`;
    case 'gate-offline':
      return `${gateId} offline${times}`;
    case 'fire-alarm':
      return `Fire alarm at ${gateId}${times}`;
  }
}

export class AlertMirror {
  private readonly known = new Map<string, Known>();
  private readonly cleared = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  static mirrors(kind: AlertKind): kind is MirroredKind {
    return MIRRORED.has(kind);
  }

  get(alertId: string): ConditionView | undefined {
    return this.known.get(alertId)?.view;
  }

  active(): ConditionView[] {
    return [...this.known.values()].map((k) => k.view);
  }

  onState(s: AlertState): MirrorAction[] {
    if (!AlertMirror.mirrors(s.kind)) return [];
    const k = this.known.get(s.id);
    if (!k) {
      if (s.state === 'cleared' || this.cleared.has(s.id)) return [];
      const view = this.viewOf(s, s.kind);
      this.known.set(s.id, { view, updatedAt: s.updatedAt, localAckAt: null, occurrences: s.occurrences });
      return [{ op: 'raise', view }];
    }
    if (s.updatedAt < k.updatedAt) return [];
    if (s.state === 'cleared') return this.clear(s.id, k, s.clearedAt ?? s.updatedAt);
    const actions: MirrorAction[] = [];
    const next = this.viewOf(s, k.view.kind);
    if (s.state === 'active-acknowledged') {
      k.localAckAt = null;
      if (!k.view.acked) {
        k.view = next;
        actions.push({ op: 'ack', view: next });
      }
    } else if (k.view.acked) {
      // Unacknowledged again: either our own ack is still on its way (ignore what predates it), or
      // the dashboard made it a new occurrence to acknowledge.
      if (k.localAckAt !== null && s.updatedAt <= k.localAckAt) return [];
      k.localAckAt = null;
      k.view = next;
      k.occurrences = s.occurrences;
      k.updatedAt = s.updatedAt;
      return [{ op: 'raise', view: next }];
    }
    if (next.message !== k.view.message || next.severity !== k.view.severity) {
      k.view = { ...next, acked: k.view.acked, ackedBy: k.view.ackedBy };
      actions.push({ op: 'update', view: k.view });
    }
    k.updatedAt = s.updatedAt;
    k.occurrences = s.occurrences;
    return actions;
  }

  /** The retained list: every alert not cleared. One we know that is missing from it was cleared. */
  onList(list: AlertStateList): MirrorAction[] {
    const actions = list.alerts.flatMap((a) => this.onState(a));
    const listed = new Set(list.alerts.map((a) => a.id));
    for (const [id, k] of [...this.known]) {
      if (!listed.has(id) && k.updatedAt <= list.at) actions.push(...this.clear(id, k, list.at));
    }
    return actions;
  }

  /**
   * An OPC UA client acknowledged: applied locally; returns the view to show, or undefined when
   * there is nothing to acknowledge (unknown, already acknowledged).
   */
  acknowledgeLocally(alertId: string, by: string): ConditionView | undefined {
    const k = this.known.get(alertId);
    if (!k || k.view.acked) return undefined;
    const at = this.now();
    k.localAckAt = at;
    k.view = { ...k.view, acked: true, ackedBy: by, time: at };
    return k.view;
  }

  private clear(id: string, k: Known, at: number): MirrorAction[] {
    this.known.delete(id);
    const now = this.now();
    this.cleared.set(id, now);
    for (const [cid, t] of this.cleared) if (now - t > TOMBSTONE_MS) this.cleared.delete(cid);
    return [{ op: 'clear', view: { ...k.view, active: false, acked: true, time: at } }];
  }

  private viewOf(s: AlertState, kind: MirroredKind): ConditionView {
    const acked = s.state === 'active-acknowledged';
    return {
      alertId: s.id,
      gateId: s.gateId,
      kind,
      severity: SEVERITY[s.severity],
      active: true,
      acked,
      ackedBy: acked ? s.acknowledgedBy : null,
      message: messageOf(kind, s.gateId, s.temperatureTenths, s.occurrences),
      time: acked ? (s.acknowledgedAt ?? s.updatedAt) : s.raisedAt,
    };
  }
}
