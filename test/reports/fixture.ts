/**
 * Reports test helpers: both stores (embedded SQLite written by the edge's sink, a real InfluxDB
 * 1.6), a roster, the known day of readings the issue asks for, fake alerts with a fever
 * episode, and the dashboard's real app with the reports plugin mounted (`reportsApp`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { parseDashboardConfig } from '../../dashboard/config/load.ts';
import type { DashboardConfig, DashboardConfigInput } from '../../dashboard/config/schema.ts';
import { type ReportsPlugin, reportRoutes } from '../../dashboard/reports/index.ts';
import type { AuditFn, ReportsDeps } from '../../dashboard/reports/types.ts';
import { InfluxReadingStore } from '../../dashboard/store/influx-store.ts';
import { createManualReadingSink, type ManualSink } from '../../dashboard/store/manual-sink.ts';
import { SqliteReadingStore } from '../../dashboard/store/sqlite-store.ts';
import type { ReadingStore } from '../../dashboard/store/types.ts';
import { InfluxSink } from '../../edge/storage/influx-sink.ts';
import { SqliteSink } from '../../edge/storage/sqlite-sink.ts';
import type { ReadingSink } from '../../edge/storage/types.ts';
import type { AlertState } from '../../protocols/dashboard/messages.ts';
import type { AccessEntry, AccessListSnapshot } from '../../protocols/gate/access-list.ts';
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import { Clock, PASSWORD, type RoleName, startApp, tempDir } from '../dashboard/fixture.ts';
import type { Influxd } from '../harness/influxd.ts';
import { record, shanghai } from '../storage/records.ts';

export const SITE = 'site-a';
export const DAY = '2024-03-05';
export const PREV = '2024-03-04';
/** "Now" for the tests: the evening of DAY, after the report time. */
export const NOW = shanghai(`${DAY}T19:00:00`);

export interface Backend {
  name: 'sqlite' | 'influx';
  /** An empty store: the edge's sink (gate readings), the dashboard's reader and manual sink. */
  fresh(config?: (readings: DashboardConfig['readings']) => DashboardConfigInput): Promise<Env>;
}

export interface Env {
  gate: ReadingSink;
  store: ReadingStore;
  manual: ManualSink;
  config: DashboardConfig;
  cleanup(): Promise<void>;
}

export function testConfig(readings: DashboardConfig['readings'], patch: Partial<DashboardConfigInput> = {}) {
  return parseDashboardConfig({
    siteId: SITE,
    siteName: '测试工厂',
    dataDir: '/nonexistent',
    mqtt: { url: 'mqtt://127.0.0.1:9', username: 'dash', password: 'pw' },
    readings,
    logLevel: 'silent',
    ...patch,
  });
}

export function sqliteBackend(patch: Partial<DashboardConfigInput> = {}): Backend {
  return {
    name: 'sqlite',
    async fresh() {
      const dir = await mkdtemp(join(tmpdir(), 'tg-reports-'));
      const path = join(dir, 'readings.sqlite');
      const gate = new SqliteSink({ path });
      await gate.init();
      const config = testConfig({ kind: 'sqlite', path }, patch);
      const store = new SqliteReadingStore({ path, timeZone: config.timezone, split: config.reports.split });
      const manual = createManualReadingSink(config.readings);
      return {
        gate,
        store,
        manual,
        config,
        async cleanup() {
          await store.close();
          await manual.close();
          await gate.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

let dbs = 0;
/** logMeasurement: HR's logs from the reading_log projection (issue 22), as a large site runs. */
export function influxBackend(
  influxd: () => Influxd,
  patch: Partial<DashboardConfigInput> = {},
  { logMeasurement = false } = {},
): Backend {
  return {
    name: 'influx',
    async fresh() {
      const database = `reports_${process.pid}_${++dbs}`;
      const url = influxd().url;
      // The fixed 2024 dates must stay inside the retention policy whenever this runs.
      const gate = new InfluxSink({ url, database, retentionDays: 36_500 });
      await gate.init();
      const config = testConfig(
        { kind: 'influx', url, database, ...(logMeasurement ? { logMeasurement } : {}) },
        patch,
      );
      const store = new InfluxReadingStore({
        url,
        database,
        logMeasurement,
        timeZone: config.timezone,
        split: config.reports.split,
      });
      const manual = createManualReadingSink(config.readings);
      return { gate, store, manual, config, cleanup: async () => {} };
    },
  };
}

const person = (
  employeeNo: string,
  name: string,
  department: string,
  kind: AccessEntry['kind'] = 'employee',
) => ({
  employeeNo,
  name,
  department,
  kind,
  validFrom: null,
  validUntil: null,
});

/** Five employees expected every day, one who joined after DAY, and a visitor. */
export const ROSTER: AccessListSnapshot = {
  v: 1,
  version: 7,
  issuedAt: shanghai('2024-03-01T00:00:00'),
  entries: [
    person('E001', '张三', '研发部'),
    person('E002', '李四', '研发部'),
    person('E003', '王五', '生产部'),
    person('E005', '钱七', '生产部'),
    person('E006', '孙八', '行政部'),
    { ...person('E007', '周九', '行政部'), validFrom: shanghai('2024-03-06T00:00:00') },
    person('V001', '访客甲', '供应商', 'visitor'),
  ],
};

let seq = 1000;
export const gateReading = (
  employeeNo: string,
  local: string,
  over: Partial<ReadingRecord> = {},
): ReadingRecord => record(seq++, { employeeNo, at: shanghai(local), ...over });

/**
 * The known data (gate readings; the manual ones go through the API in the tests):
 * - E001: 11:59:59 at gate-1 (morning) and 12:00:00 at gate-2 (afternoon): complete.
 * - E002: 00:10 local (still the 4th in UTC) is DAY's morning; 23:59:59 on the 4th is the 4th's.
 * - E003: no gate reading (the tests add a handheld morning and a self-reported afternoon).
 * - E005: only a reading without temperature: absent.
 * - E006: 36.5 at 07:55, then 38.2 °C at 08:10 (a fever episode, sent home).
 * - V001: a visitor at 10:00. X999: on no list. '' an unknown face (never counts).
 */
export function knownDay(): ReadingRecord[] {
  return [
    gateReading('E001', `${DAY}T11:59:59`, { gateId: 'gate-1', temperatureTenths: 365 }),
    gateReading('E001', `${DAY}T12:00:00`, { gateId: 'gate-2', temperatureTenths: 366 }),
    gateReading('E002', `${DAY}T00:10:00`, { temperatureTenths: 364 }),
    gateReading('E002', `${PREV}T23:59:59`, { temperatureTenths: 363 }),
    gateReading('E005', `${DAY}T08:00:00`, {
      temperatureTenths: null,
      decision: 'remeasure',
      reason: 'no-measurement',
    }),
    gateReading('E006', `${DAY}T08:10:00`, { temperatureTenths: 382, decision: 'flagged', reason: 'fever' }),
    gateReading('E006', `${DAY}T07:55:00`, { temperatureTenths: 365 }),
    gateReading('V001', `${DAY}T10:00:00`, { temperatureTenths: 367 }),
    gateReading('X999', `${DAY}T09:00:00`, { temperatureTenths: 362 }),
    gateReading('', `${DAY}T09:30:00`, {
      temperatureTenths: 390,
      decision: 'denied',
      reason: 'unknown-face',
    }),
  ];
}

export function alertState(over: Partial<AlertState>): AlertState {
  const at = over.raisedAt ?? shanghai(`${DAY}T08:10:00`);
  return {
    v: 1,
    id: 'al-1',
    siteId: SITE,
    gateId: 'gate-1',
    kind: 'fever',
    severity: 'critical',
    state: 'cleared',
    raisedAt: at,
    updatedAt: at + 600_000,
    occurrences: 1,
    employeeNo: 'E006',
    name: '孙八',
    temperatureTenths: 382,
    roomId: 'r1',
    stage: 'closed',
    acknowledgedBy: 'guard1',
    acknowledgedAt: at + 30_000,
    clearedAt: at + 600_000,
    disposition: 'sent-home',
    escalated: false,
    detail: '',
    ...over,
  };
}

/** E006's episode on DAY, one two days before, and an alert that is no fever. */
export function fakeAlerts(): ReportsDeps['alerts'] {
  const all = [
    alertState({}),
    alertState({ id: 'al-0', raisedAt: shanghai('2024-03-03T09:00:00'), employeeNo: 'E001', name: '张三' }),
    alertState({ id: 'al-2', kind: 'sensor-fault', employeeNo: null, name: null, disposition: null }),
  ];
  return { list: (q) => all.filter((a) => q?.since === undefined || a.updatedAt >= q.since) };
}

export interface Audited {
  by: string;
  action: string;
  target: string;
  detail?: object;
}

export interface ReportsApp {
  app: FastifyInstance;
  plugin: ReportsPlugin;
  audits: Audited[];
  db: Database.Database;
  /** The headers of a real session for `hr1:hr[:en]` (as x-test-user does on inject), for real HTTP. */
  sessionHeaders(who: string): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/**
 * The reports plugin mounted on the dashboard's real app (buildApp: its role guard, CSRF check,
 * error handler and response serialiser), on a data dir of its own. `x-test-user: hr1:hr[:en]` on
 * an inject() logs the request in: the user is created with that role and language and a real
 * session's cookie and CSRF token replace the header, so the guard decides as in production
 * (over real HTTP, as the benches do, `sessionHeaders` gives those headers).
 */
export async function reportsApp(
  env: Pick<Env, 'store' | 'manual' | 'config'>,
  over: Partial<ReportsDeps> = {},
): Promise<ReportsApp> {
  const audits: Audited[] = [];
  const audit: AuditFn = (by, action, target, detail) =>
    audits.push({ by: by.username, action, target, ...(detail ? { detail } : {}) });
  const db = over.db ?? new Database(':memory:');
  const plugin = reportRoutes({
    store: env.store,
    manual: env.manual,
    audit,
    config: env.config,
    roster: () => ROSTER,
    alerts: fakeAlerts(),
    db,
    now: () => NOW,
    scheduleEveryMs: false,
    ...over,
  });
  const dashboard = await startApp({
    configured: { ...env.config, dataDir: join(tempDir('tg-reports-app-'), 'dash') },
    clock: new Clock(NOW),
    plugins: [plugin],
    seedUsers: false,
  });
  const { app, core } = dashboard;
  const inject = app.inject.bind(app) as (o: InjectOptions) => Promise<LightMyRequestResponse>;
  const asUser = async (header: string): Promise<Record<string, string>> => {
    const [username = '', role = 'hr', lang = 'zh-CN'] = header.split(':');
    const user = { username, role: role as RoleName, displayName: username, lang: lang as 'en' | 'zh-CN' };
    if (!core.users.get(username)) await core.users.create({ ...user, password: PASSWORD });
    else core.users.update(username, { role: user.role, lang: user.lang });
    const { cookie, session } = core.sessions.create(user);
    return { cookie: `tg_session=${cookie}`, 'x-csrf-token': session.csrfToken };
  };
  Object.assign(app, {
    inject: async (o: InjectOptions) => {
      const { 'x-test-user': who, ...headers } = (o.headers ?? {}) as Record<string, string>;
      return inject({ ...o, headers: who ? { ...headers, ...(await asUser(who)) } : headers });
    },
  });
  return {
    app,
    plugin,
    audits,
    db,
    sessionHeaders: asUser,
    async close() {
      await dashboard.close();
      if (!over.db) db.close();
    },
  };
}
