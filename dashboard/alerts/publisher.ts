/**
 * Alert states on the broker: every change on `dashboard/alert` (QoS 1), and the retained list of
 * open alerts on `dashboard/alerts` for consumers that start late (the OPC UA server; the service
 * publishes it once per turn of the event loop at most). The hub
 * closes the connection of a client that publishes more than its payload limit (64 KiB by
 * default), so the list keeps the most important alerts that fit and says how many it left out.
 */
import type { AlertState, AlertStateList } from '../../protocols/dashboard/messages.ts';
import { SCHEMA_VERSION } from '../../protocols/gate/messages.ts';
import { DashboardTopic } from '../../protocols/topics.ts';
import type { AlertsDeps } from './types.ts';

export const DEFAULT_MAX_LIST_BYTES = 60 * 1024;

export class AlertPublisher {
  private truncated = 0;

  constructor(
    private readonly d: Pick<AlertsDeps, 'siteId' | 'publish' | 'now' | 'log'> & { maxListBytes: number },
  ) {}

  state(a: AlertState): void {
    this.d.publish(DashboardTopic.alert(this.d.siteId), JSON.stringify(a), { qos: 1 });
  }

  /** `open` in order of importance: what does not fit is left out from the end. */
  list(open: readonly AlertState[]): AlertStateList {
    const head = { v: SCHEMA_VERSION, siteId: this.d.siteId, at: this.d.now() } as const;
    let bytes = Buffer.byteLength(JSON.stringify({ ...head, alerts: [] }));
    const alerts: AlertState[] = [];
    for (const a of open) {
      const size = Buffer.byteLength(JSON.stringify(a)) + 1;
      if (bytes + size > this.d.maxListBytes) break;
      bytes += size;
      alerts.push(a);
    }
    const left = open.length - alerts.length;
    if (left > 0 && left !== this.truncated)
      this.d.log.warn(
        { code: 'TG_DASH_ALERT_LIST_TRUNCATED', open: open.length, left },
        'retained alert list too large for the broker: least important open alerts left out',
      );
    this.truncated = left;
    const msg: AlertStateList = { ...head, alerts };
    this.d.publish(DashboardTopic.alerts(this.d.siteId), JSON.stringify(msg), { qos: 1, retain: true });
    return msg;
  }
}
