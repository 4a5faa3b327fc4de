/**
 * The reports' tables in the dashboard's database: the kept daily reports (one per site and
 * day; the scheduler's copy is what was sent), their webhook deliveries (retried from here, so a
 * delivery due when the dashboard stopped goes out after it starts), and the last day the
 * scheduler handled (so days missed while the dashboard was down are caught up, a few at most).
 */
import type { Database, Statement } from 'better-sqlite3';
import type { Webhook } from '../config/schema.ts';
import { migrate } from '../db/migrate.ts';
import type { DailyReport } from './daily-report.ts';

/** Append-only (db/migrate.ts). */
const STEPS = [
  `
CREATE TABLE report_daily (
  site_id      TEXT    NOT NULL,
  day          TEXT    NOT NULL,
  generated_at INTEGER NOT NULL,
  body         TEXT    NOT NULL,
  PRIMARY KEY (site_id, day)
);
CREATE TABLE report_delivery (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  site_id    TEXT    NOT NULL,
  day        TEXT    NOT NULL,
  webhook    TEXT    NOT NULL,
  attempts   INTEGER NOT NULL,
  next_at    INTEGER NOT NULL,
  state      TEXT    NOT NULL,
  last_error TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX report_delivery_due ON report_delivery (next_at) WHERE state = 'pending';
CREATE TABLE report_schedule (
  site_id  TEXT PRIMARY KEY,
  last_day TEXT NOT NULL
);
`,
];

export interface Delivery {
  id: number;
  day: string;
  webhook: Webhook;
  attempts: number;
}

export interface DeliveryView {
  day: string;
  kind: Webhook['kind'];
  state: 'pending' | 'sent' | 'failed';
  attempts: number;
  lastError: string | null;
}

export class ReportStore {
  private readonly s: Record<
    | 'get'
    | 'put'
    | 'enqueue'
    | 'due'
    | 'sent'
    | 'retry'
    | 'failed'
    | 'deliveries'
    | 'lastDay'
    | 'setLastDay'
    | 'purgeReports'
    | 'purgeDeliveries',
    Statement
  >;
  private readonly keepTx: (r: DailyReport, webhooks: readonly Webhook[], now: number) => void;

  constructor(
    db: Database,
    private readonly siteId: string,
  ) {
    migrate(db, 'reports', STEPS);
    this.s = {
      get: db.prepare('SELECT body FROM report_daily WHERE site_id = ? AND day = ?'),
      put: db.prepare(
        `INSERT INTO report_daily (site_id, day, generated_at, body) VALUES (?, ?, ?, ?)
         ON CONFLICT (site_id, day) DO UPDATE SET generated_at = excluded.generated_at, body = excluded.body`,
      ),
      enqueue: db.prepare(
        `INSERT INTO report_delivery (site_id, day, webhook, attempts, next_at, state, created_at)
         VALUES (?, ?, ?, 0, ?, 'pending', ?)`,
      ),
      due: db.prepare(
        `SELECT id, day, webhook, attempts FROM report_delivery
         WHERE site_id = ? AND state = 'pending' AND next_at <= ? ORDER BY next_at, id`,
      ),
      sent: db.prepare(
        `UPDATE report_delivery SET state = 'sent', attempts = ?, last_error = NULL WHERE id = ?`,
      ),
      retry: db.prepare('UPDATE report_delivery SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?'),
      failed: db.prepare(
        `UPDATE report_delivery SET state = 'failed', attempts = ?, last_error = ? WHERE id = ?`,
      ),
      deliveries: db.prepare(
        'SELECT day, webhook, state, attempts, last_error FROM report_delivery WHERE site_id = ? AND day = ? ORDER BY id',
      ),
      lastDay: db.prepare('SELECT last_day FROM report_schedule WHERE site_id = ?'),
      setLastDay: db.prepare(
        `INSERT INTO report_schedule (site_id, last_day) VALUES (?, ?)
         ON CONFLICT (site_id) DO UPDATE SET last_day = excluded.last_day`,
      ),
      purgeReports: db.prepare('DELETE FROM report_daily WHERE site_id = ? AND day < ?'),
      purgeDeliveries: db.prepare(
        `DELETE FROM report_delivery WHERE site_id = ? AND day < ? AND state <> 'pending'`,
      ),
    };
    // Kept, queued for every webhook and marked as handled in one transaction: a crash never
    // leaves a report kept but unsent, or sent twice.
    this.keepTx = db.transaction((r: DailyReport, webhooks: readonly Webhook[], now: number) => {
      this.s.put.run(this.siteId, r.date, r.generatedAt, JSON.stringify(r));
      for (const w of webhooks) this.s.enqueue.run(this.siteId, r.date, JSON.stringify(w), now, now);
      const last = this.lastDay();
      if (last === null || last < r.date) this.s.setLastDay.run(this.siteId, r.date);
    });
  }

  get(day: string): DailyReport | null {
    const row = this.s.get.get(this.siteId, day) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as DailyReport) : null;
  }

  /** Keeps the report and queues it for the webhooks. */
  keep(r: DailyReport, webhooks: readonly Webhook[], now: number): void {
    this.keepTx(r, webhooks, now);
  }

  lastDay(): string | null {
    return (this.s.lastDay.get(this.siteId) as { last_day: string } | undefined)?.last_day ?? null;
  }

  setLastDay(day: string): void {
    this.s.setLastDay.run(this.siteId, day);
  }

  due(now: number): Delivery[] {
    return (
      this.s.due.all(this.siteId, now) as Array<{
        id: number;
        day: string;
        webhook: string;
        attempts: number;
      }>
    ).map((r) => ({ id: r.id, day: r.day, webhook: JSON.parse(r.webhook) as Webhook, attempts: r.attempts }));
  }

  sent(id: number, attempts: number): void {
    this.s.sent.run(attempts, id);
  }

  retry(id: number, attempts: number, nextAt: number, error: string): void {
    this.s.retry.run(attempts, nextAt, error.slice(0, 500), id);
  }

  failed(id: number, attempts: number, error: string): void {
    this.s.failed.run(attempts, error.slice(0, 500), id);
  }

  deliveries(day: string): DeliveryView[] {
    return (
      this.s.deliveries.all(this.siteId, day) as Array<{
        day: string;
        webhook: string;
        state: DeliveryView['state'];
        attempts: number;
        last_error: string | null;
      }>
    ).map((r) => ({
      day: r.day,
      kind: (JSON.parse(r.webhook) as Webhook).kind,
      state: r.state,
      attempts: r.attempts,
      lastError: r.last_error,
    }));
  }

  /** Personal data is kept no longer than the readings: reports of days before `day` go. */
  purgeBefore(day: string): void {
    this.s.purgeReports.run(this.siteId, day);
    this.s.purgeDeliveries.run(this.siteId, day);
  }
}
