/** What the reports module needs from the dashboard (dashboard.ts wires the real ones). */
import type { Database } from 'better-sqlite3';
import type { AccessListSnapshot } from '../../protocols/gate/access-list.ts';
import type { SitePolicy } from '../../protocols/site/policy.ts';
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import type { Actor, AlertsService, ManualReadingSink } from '../alerts/types.ts';
import type { DashboardConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { SiteAdmin } from '../server/site-admin.ts';
import type { ReadingStore } from '../store/types.ts';
import type { NameLookup } from './daily-report.ts';
import type { RetryPolicy } from './scheduler.ts';
import type { Clock } from '../../kernel/clock.ts';

export type AuditFn = (by: Actor, action: string, target: string, detail?: object) => void;

export interface ReportsDeps {
  store: ReadingStore;
  /** Where manual readings go; `writeMany` (createManualReadingSink has it) makes an import all or nothing. */
  manual: ManualReadingSink & { writeMany?: (rs: readonly ReadingRecord[]) => Promise<void> };
  audit: AuditFn;
  config: DashboardConfig;
  /** HR's roster: the access list snapshot last seen (null before the first). */
  roster: () => AccessListSnapshot | null;
  alerts: Pick<AlertsService, 'list'> & Partial<Pick<AlertsService, 'declared'>>;
  /** The hub's admin functions: a visitor is admitted through the access list. */
  siteAdmin?: SiteAdmin;
  /** Opens a hold at the hub (a declaration with hold=true); absent: such a request is a 503. */
  openHold?: (by: Actor, body: { employeeNo: string; name?: string; note: string }) => Promise<unknown>;
  /** The site policy the hub published (threshold, plausible range, calendar); default: the built-in one. */
  policy?: () => SitePolicy;
  /** Names of gates, rooms and users, so reports print names rather than ids (default: the ids). */
  names?: NameLookup;
  /** The dashboard's own database: kept daily reports and their deliveries. */
  db: Database;
  now?: () => number;
  /** The scheduler's timer (default the system clock). */
  clock?: Clock;
  log?: Logger;
  /** For the report webhooks (default global fetch). */
  fetch?: typeof fetch;
  /**
   * How often the scheduler looks at the clock, ms (default 30 s), from the app's listen to its
   * close. false: never by itself (tests call `scheduler.tick()`).
   */
  scheduleEveryMs?: number | false;
  webhookRetry?: Partial<RetryPolicy>;
}
