/**
 * Escalation deliveries: one row per (escalated alert, webhook), sent by tick() and retried with
 * growing pauses when the receiver fails. Rows live in the database, so a delivery that was due
 * when the dashboard stopped goes out after it starts again; nothing here ever throws to tick().
 */
import type { Database, Statement } from 'better-sqlite3';
import type { Webhook } from '../config/schema.ts';
import { migrate } from '../db/migrate.ts';
import type { AlertsDeps } from './types.ts';
import { type Escalation, post, readSecret, webhookRequest } from './webhooks.ts';

export interface RetryPolicy {
  /** Tries per webhook, the first included. */
  attempts: number;
  /** Pause before the first retry; each further pause is three times longer. */
  baseDelayMs: number;
  /** One request gives up after this long. */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 5_000, timeoutMs: 10_000 };

/** Append-only (db/migrate.ts). */
const STEPS = [
  `
CREATE TABLE IF NOT EXISTS alert_delivery (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  alert_id   TEXT    NOT NULL,
  webhook    TEXT    NOT NULL,
  payload    TEXT    NOT NULL,
  attempts   INTEGER NOT NULL,
  next_at    INTEGER NOT NULL,
  state      TEXT    NOT NULL,
  last_error TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_delivery_due ON alert_delivery (next_at) WHERE state = 'pending';
`,
];

interface DeliveryRow {
  id: number;
  alert_id: string;
  webhook: string;
  payload: string;
  attempts: number;
}

/** The receiver's address without query (DingTalk and WeCom put the robot's token there). */
export const redactUrl = (url: string): string => {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(bad url)';
  }
};

export class Escalator {
  private readonly s: {
    insert: Statement;
    due: Statement;
    sent: Statement;
    retry: Statement;
    failed: Statement;
  };

  constructor(
    db: Database,
    private readonly d: Pick<AlertsDeps, 'webhooks' | 'now' | 'log'> & {
      fetch: typeof fetch;
      retry: RetryPolicy;
    },
  ) {
    migrate(db, 'alert-deliveries', STEPS);
    this.s = {
      insert: db.prepare(
        `INSERT INTO alert_delivery (alert_id, webhook, payload, attempts, next_at, state, created_at)
         VALUES (?, ?, ?, 0, ?, 'pending', ?)`,
      ),
      due: db.prepare(
        `SELECT id, alert_id, webhook, payload, attempts FROM alert_delivery
         WHERE state = 'pending' AND next_at <= ? ORDER BY next_at, id`,
      ),
      sent: db.prepare(
        `UPDATE alert_delivery SET state = 'sent', attempts = ?, last_error = NULL WHERE id = ?`,
      ),
      retry: db.prepare(`UPDATE alert_delivery SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?`),
      failed: db.prepare(
        `UPDATE alert_delivery SET state = 'failed', attempts = ?, last_error = ? WHERE id = ?`,
      ),
    };
  }

  /** Queues the escalation for every configured webhook (call inside the transaction that marks it). */
  enqueue(e: Escalation): void {
    const now = this.d.now();
    if (this.d.webhooks.length === 0)
      this.d.log.warn(
        { alertId: e.alert.id, reason: e.reason },
        'alert escalated but no webhook is configured',
      );
    for (const w of this.d.webhooks)
      this.s.insert.run(e.alert.id, JSON.stringify(w), JSON.stringify(e), now, now);
  }

  /** Sends every delivery due now, side by side. */
  async deliverDue(signal: AbortSignal): Promise<void> {
    const due = this.s.due.all(this.d.now()) as DeliveryRow[];
    await Promise.all(due.map((row) => this.deliver(row, signal)));
  }

  private async deliver(row: DeliveryRow, signal: AbortSignal): Promise<void> {
    const w = JSON.parse(row.webhook) as Webhook;
    const e = JSON.parse(row.payload) as Escalation;
    const attempts = row.attempts + 1;
    const where = { alertId: row.alert_id, kind: w.kind, url: redactUrl(w.url), attempt: attempts };
    try {
      const secret = await readSecret(w);
      const req = webhookRequest(w, e, this.d.now(), secret);
      await post(
        this.d.fetch,
        w,
        req,
        AbortSignal.any([signal, AbortSignal.timeout(this.d.retry.timeoutMs)]),
      );
      this.s.sent.run(attempts, row.id);
      this.d.log.info(where, 'escalation webhook delivered');
    } catch (err) {
      const reason = (err as Error).message ?? String(err);
      if (signal.aborted) return; // shutting down: the row stays due for the next start
      if (attempts >= this.d.retry.attempts) {
        this.s.failed.run(attempts, reason, row.id);
        this.d.log.error(
          { ...where, code: 'TG_DASH_WEBHOOK_FAILED', reason },
          'escalation webhook failed, giving up',
        );
        return;
      }
      const next = this.d.now() + this.d.retry.baseDelayMs * 3 ** (attempts - 1);
      this.s.retry.run(attempts, next, reason, row.id);
      this.d.log.warn(
        { ...where, code: 'TG_DASH_WEBHOOK_FAILED', reason, nextAt: next },
        'escalation webhook failed, will retry',
      );
    }
  }
}
