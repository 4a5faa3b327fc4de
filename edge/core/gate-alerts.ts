/**
 * The alerts a gate raises: about its devices (thermometer, fire alarm, outbox, terminal clock) and
 * about passages (fever, held person, unknown face, …). Severities come from the one registry
 * (protocols/gate/alert-kinds.ts); only the outbox grades its own.
 */
import { alertSeverity } from '../../protocols/gate/alert-kinds.ts';
import {
  type AlertKind,
  type AlertMessage,
  type ReadingRecord,
  SCHEMA_VERSION,
} from '../../protocols/gate/messages.ts';
import { GateTopic } from '../../protocols/topics.ts';
import type { Clock } from '../clock.ts';
import type { EdgeConfig } from '../config/schema.ts';
import type { Publisher } from './gate-io-types.ts';

export type Who = Partial<Pick<AlertMessage, 'employeeNo' | 'name' | 'temperatureTenths' | 'readingId'>>;

export class GateAlerts {
  private readonly remeasures = new Map<string, number[]>();

  constructor(private readonly d: { cfg: EdgeConfig; clock: Clock; bus: Publisher }) {}

  raise(
    kind: AlertKind,
    active: boolean,
    detail: string,
    who: Who = {},
    severity: AlertMessage['severity'] = 'major',
  ): void {
    const { siteId, gateId } = this.d.cfg;
    const at = this.d.clock.now();
    const msg: AlertMessage = {
      v: SCHEMA_VERSION,
      id: `${siteId}:${gateId}:${kind}:${who.readingId ?? at}`,
      siteId,
      gateId,
      kind,
      // A cleared condition is news, not an alarm.
      severity: active ? alertSeverity(kind, severity) : 'info',
      at,
      active,
      employeeNo: who.employeeNo ?? null,
      name: who.name ?? null,
      temperatureTenths: who.temperatureTenths ?? null,
      readingId: who.readingId ?? null,
      detail,
    };
    this.d.bus.publish(GateTopic.alert(siteId, gateId), JSON.stringify(msg), { qos: 1 });
  }

  /** The alerts a recorded passage raises. */
  forPassage(r: ReadingRecord, name: string, roomText: string): void {
    const who = {
      employeeNo: r.employeeNo || null,
      name: name || null,
      temperatureTenths: r.temperatureTenths,
      readingId: r.id,
    };
    if (r.decision === 'flagged') {
      this.raise(
        'fever',
        true,
        r.realtime ? `fever; sent to ${roomText}` : 'fever in an offline record',
        who,
      );
      return;
    }
    switch (r.reason) {
      case 'held':
        if (r.realtime) this.raise('held-person', true, `held person refused; sent to ${roomText}`, who);
        return;
      case 'unknown-face':
        this.raise('unknown-person', true, 'face not recognised', who);
        return;
      case 'not-on-access-list':
        this.raise('not-on-access-list', true, 'not on the access list', who);
        return;
      case 'mask-missing':
        this.raise('mask-missing', true, 'mask missing', who);
        return;
    }
    if (r.decision === 'remeasure' && r.employeeNo) {
      const now = this.d.clock.now();
      const recent = (this.remeasures.get(r.employeeNo) ?? []).filter(
        (t) => now - t < this.d.cfg.policy.remeasureAlertWindowMs,
      );
      recent.push(now);
      this.remeasures.set(r.employeeNo, recent);
      if (recent.length >= this.d.cfg.policy.remeasureAlertCount) {
        this.raise('remeasure-repeated', true, `${recent.length} re-measures (${r.reason})`, who);
        this.remeasures.delete(r.employeeNo);
      }
    }
  }
}
