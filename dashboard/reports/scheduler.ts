/**
 * The daily report, automatically: on each tick (every 30 s in production; tests call tick()
 * with an injected clock) every day whose `dailyAt` local time has passed and that was not
 * handled yet is generated, kept and queued for the webhooks; due deliveries are sent and failed
 * ones retried with growing pauses. Days missed while the dashboard was down are caught up (at
 * most MAX_CATCH_UP); a brand-new dashboard starts with today. tick() never throws.
 */
import type { Webhook } from '../config/schema.ts';
import { redactUrl } from '../alerts/escalation.ts';
import { post, readSecret } from '../alerts/webhooks.ts';
import { formatDay, localDay, parseDay, wallToInstant } from '../store/local-time.ts';
import type { DailyReport } from './daily-report.ts';
import { reportRequest } from './notify.ts';
import type { Delivery, ReportStore } from './report-store.ts';
import { type Clock, systemClock, type Timer } from '../../kernel/clock.ts';

const DAY = 86_400_000;
const MAX_CATCH_UP = 7;
/** After a failed generation (store unreachable) the next try waits this long. */
const GENERATION_RETRY_MS = 60_000;

export interface RetryPolicy {
  /** Tries per webhook, the first included. */
  attempts: number;
  /** Pause before the first retry; each further pause is three times longer. */
  baseDelayMs: number;
  /** One request gives up after this long. */
  timeoutMs: number;
}

export const DEFAULT_REPORT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 30_000, timeoutMs: 10_000 };

export interface SchedulerLog {
  info: (o: object, m?: string) => void;
  warn: (o: object, m?: string) => void;
  error: (o: object, m?: string) => void;
}

export interface SchedulerDeps {
  /** The robots' text language (the dashboard's `language`). */
  language?: 'zh-CN' | 'en';
  store: ReportStore;
  generate: (day: string) => Promise<DailyReport>;
  now: () => number;
  /** The timer of start() (default the system clock). */
  clock?: Clock;
  timeZone: string;
  /** Local 'HH:MM'. */
  dailyAt: string;
  webhooks: readonly Webhook[];
  /** Kept reports older than this many days are deleted. */
  retentionDays: number;
  fetch: typeof fetch;
  retry: RetryPolicy;
  log: SchedulerLog;
}

export function minutesOf(hhmm: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m) throw new Error(`TG_DASH_REPORT_CONFIG: not a local time HH:MM: '${hhmm}'`);
  return Number(m[1]) * 60 + Number(m[2]);
}

export class DailyScheduler {
  private readonly dailyAtMs: number;
  private timer: Timer | null = null;
  private running: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private generateAfter = 0;

  constructor(private readonly d: SchedulerDeps) {
    this.dailyAtMs = minutesOf(d.dailyAt) * 60_000;
  }

  /** The days due now and not handled yet, oldest first. */
  dueDays(now: number): string[] {
    const today = parseDay(localDay(this.d.timeZone, now));
    const lastDue = now >= wallToInstant(this.d.timeZone, today + this.dailyAtMs) ? today : today - DAY;
    let last = this.d.store.lastDay();
    if (last === null) {
      last = formatDay(today - DAY);
      this.d.store.setLastDay(last);
    }
    const days: string[] = [];
    for (let t = Math.max(parseDay(last) + DAY, lastDue - (MAX_CATCH_UP - 1) * DAY); t <= lastDue; t += DAY)
      days.push(formatDay(t));
    return days;
  }

  /** One round; a tick while the previous one still runs waits for it instead of overlapping. */
  tick(): Promise<void> {
    if (!this.running)
      this.running = this.round().finally(() => {
        this.running = null;
      });
    return this.running;
  }

  start(everyMs = 30_000): void {
    if (this.timer) return;
    this.timer = (this.d.clock ?? systemClock).setInterval(() => void this.tick(), everyMs);
    this.timer.unref?.();
    void this.tick();
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    this.abort.abort();
    await this.running;
  }

  private async round(): Promise<void> {
    const now = this.d.now();
    try {
      if (now >= this.generateAfter) await this.generateDue(now);
      this.d.store.purgeBefore(
        formatDay(parseDay(localDay(this.d.timeZone, now)) - this.d.retentionDays * DAY),
      );
    } catch (err) {
      this.d.log.error({ err, code: 'TG_DASH_REPORT_SCHEDULE' }, 'daily report round failed');
    }
    const due = this.d.store.due(this.d.now());
    await Promise.all(due.map((x) => this.deliver(x)));
  }

  private async generateDue(now: number): Promise<void> {
    for (const day of this.dueDays(now)) {
      if (this.abort.signal.aborted) return;
      let report: DailyReport;
      try {
        report = await this.d.generate(day);
      } catch (err) {
        this.generateAfter = now + GENERATION_RETRY_MS;
        this.d.log.error(
          { err, day, code: 'TG_DASH_REPORT_GENERATE', retryInMs: GENERATION_RETRY_MS },
          'daily report could not be generated; will retry',
        );
        return;
      }
      this.d.store.keep(report, this.d.webhooks, this.d.now());
      if (this.d.webhooks.length === 0)
        this.d.log.warn({ day }, 'daily report kept; no reports.webhooks configured to send it to');
      this.d.log.info(
        { day, expected: report.expected, screened: report.screened, fevers: report.feverCount },
        'daily report generated',
      );
    }
  }

  private async deliver(x: Delivery): Promise<void> {
    const attempts = x.attempts + 1;
    const where = { day: x.day, kind: x.webhook.kind, url: redactUrl(x.webhook.url), attempt: attempts };
    const report = this.d.store.get(x.day);
    if (!report) {
      this.d.store.failed(x.id, attempts, 'the kept report is gone (retention)');
      return;
    }
    try {
      const secret = await readSecret(x.webhook);
      const req = reportRequest(x.webhook, report, this.d.now(), secret, this.d.language ?? 'zh-CN');
      await post(
        this.d.fetch,
        x.webhook,
        req,
        AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.d.retry.timeoutMs)]),
      );
      this.d.store.sent(x.id, attempts);
      this.d.log.info(where, 'daily report delivered');
    } catch (err) {
      if (this.abort.signal.aborted) return; // stopping: stays due for the next start
      const reason = (err as Error).message ?? String(err);
      if (attempts >= this.d.retry.attempts) {
        this.d.store.failed(x.id, attempts, reason);
        this.d.log.error(
          { ...where, code: 'TG_DASH_WEBHOOK_FAILED', reason },
          'daily report webhook failed, giving up',
        );
        return;
      }
      const next = this.d.now() + this.d.retry.baseDelayMs * 3 ** (attempts - 1);
      this.d.store.retry(x.id, attempts, next, reason);
      this.d.log.warn(
        { ...where, code: 'TG_DASH_WEBHOOK_FAILED', reason, nextAt: next },
        'daily report webhook failed, will retry',
      );
    }
  }
}
