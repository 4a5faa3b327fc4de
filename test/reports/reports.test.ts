/**
 * The twice-daily log, the daily report and the manual readings API on both stores (the
 * embedded SQLite file and a real InfluxDB 1.6), with the known day of fixture.ts: time-zone
 * edges, missing windows, manual readings beside gate readings, a fever with its disposition,
 * a zero-case day. Both stores must give the same answers.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DailyReport, PersonDayLog, PersonLog, SiteDayLog } from '../../dashboard/reports/index.ts';
import { type Influxd, startInfluxd } from '../harness/influxd.ts';
import { shanghai } from '../storage/records.ts';
import {
  type Backend,
  DAY,
  type Env,
  gateReading,
  influxBackend,
  knownDay,
  PREV,
  type ReportsApp,
  reportsApp,
  sqliteBackend,
} from './fixture.ts';

let influxd: Influxd;
beforeAll(async () => {
  influxd = await startInfluxd();
});
afterAll(async () => {
  await influxd?.destroy();
});

const HR = { 'x-test-user': 'hr1:hr' };
const GUARD = { 'x-test-user': 'guard1:guard' };

/** [time, temperature, gate, source, enteredBy] of a window, or null. */
const brief = (e: PersonDayLog['morning']) =>
  e ? [e.time, e.temperatureTenths, e.gateId, e.source, e.enteredBy] : null;
const row = (log: SiteDayLog, no: string) => log.rows.find((r) => r.employeeNo === no) as PersonDayLog;

describe.each([
  ['sqlite', () => sqliteBackend()],
  ['influx', () => influxBackend(() => influxd)],
  ['influx (reading_log)', () => influxBackend(() => influxd, {}, { logMeasurement: true })],
] as Array<[string, () => Backend]>)('reports on %s', (_name, backend) => {
  let env: Env;
  let t: ReportsApp;
  beforeEach(async () => {
    env = await backend().fresh();
    await env.gate.write(knownDay());
    t = await reportsApp(env);
    // E003 never passed a gate: a handheld morning check by a guard, an afternoon self-report by HR.
    const m = await t.app.inject({
      method: 'POST',
      url: '/api/manual-readings',
      headers: GUARD,
      payload: {
        employeeNo: 'E003',
        temperatureTenths: 368,
        instrument: 'handheld',
        at: shanghai(`${DAY}T09:00:00`),
      },
    });
    expect(m.statusCode, m.body).toBe(201);
    const csv = `工号,日期,时间,体温\r\nE003,${DAY},14:00,36.9\r\n`;
    const imp = await t.app.inject({
      method: 'POST',
      url: '/api/manual-readings/import',
      headers: { ...HR, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(imp.statusCode, imp.body).toBe(200);
    expect(imp.json()).toEqual({ lines: 1, imported: 1, duplicates: 0 });
  });
  afterEach(async () => {
    await t.close();
    await env.cleanup();
  });

  it('the site day: windows cut at the local split and local midnight, every status', async () => {
    const res = await t.app.inject({ url: `/api/reports/site-day/${DAY}`, headers: HR });
    expect(res.statusCode, res.body).toBe(200);
    const log = res.json() as SiteDayLog;
    expect(
      log.rows.map((r) => [r.employeeNo, r.name, r.department, r.kind, r.expected, r.checks, r.status]),
    ).toEqual([
      ['E003', '王五', '生产部', 'employee', true, 'complete', 'complete'],
      ['E005', '钱七', '生产部', 'employee', true, 'absent', 'absent'],
      ['E001', '张三', '研发部', 'employee', true, 'complete', 'complete'],
      ['E002', '李四', '研发部', 'employee', true, 'afternoon-missing', 'afternoon-missing'],
      ['E006', '孙八', '行政部', 'employee', true, 'afternoon-missing', 'fever'],
      ['X999', '', '', 'unlisted', false, 'afternoon-missing', 'afternoon-missing'],
    ]);
    // 11:59:59 is the morning, 12:00:00 the afternoon.
    expect(brief(row(log, 'E001').morning)).toEqual(['11:59:59', 365, 'gate-1', 'gate-thermometer', null]);
    expect(brief(row(log, 'E001').afternoon)).toEqual(['12:00:00', 366, 'gate-2', 'gate-thermometer', null]);
    // 00:10 local is DAY although it is the 4th in UTC; 23:59:59 of the 4th is not DAY.
    expect(new Date(shanghai(`${DAY}T00:10:00`)).toISOString().slice(0, 10)).toBe(PREV);
    expect(brief(row(log, 'E002').morning)).toEqual(['00:10:00', 364, 'gate-1', 'gate-thermometer', null]);
    expect(row(log, 'E002').readings).toBe(1);
    // Manual readings count, marked by source and by who entered them.
    const e3 = row(log, 'E003');
    expect(brief(e3.morning)).toEqual(['09:00:00', 368, 'manual', 'handheld', 'guard1']);
    expect(brief(e3.afternoon)).toEqual(['14:00:00', 369, 'manual', 'self-report', 'hr1']);
    expect([e3.morning?.manual, e3.afternoon?.manual]).toEqual([true, true]);
    // A normal first check does not hide a later fever: the day's highest is the fever.
    const e6 = row(log, 'E006');
    expect([
      e6.morning?.time,
      e6.morning?.temperatureTenths,
      e6.highestTenths,
      e6.highest?.time,
      e6.readings,
    ]).toEqual(['07:55:00', 365, 382, '08:10:00', 2]);
    expect(row(log, 'E005').morning).toBeNull();
    expect(log.visitors.map((v) => [v.employeeNo, v.name, v.kind, v.morning?.time])).toEqual([
      ['V001', '访客甲', 'visitor', '10:00:00'],
    ]);
    expect(log.rows.some((r) => r.employeeNo === 'E007')).toBe(false); // joins on the 6th
  });

  it("the site day page by page: the pages together are the whole day, a status filter, the day's counts", async () => {
    const get = async (query: string) => {
      const res = await t.app.inject({ url: `/api/reports/site-day/${DAY}${query}`, headers: HR });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as SiteDayLog & {
        page: { offset: number; limit: number; status: string | null; total: number };
        counts: Record<string, number>;
      };
    };
    const whole = (await get('')) as SiteDayLog;
    const first = await get('?limit=4');
    const second = await get('?limit=4&offset=4');
    expect([...first.rows, ...second.rows]).toEqual(whole.rows);
    expect(first.rows.map((r) => r.employeeNo)).toEqual(['E003', 'E005', 'E001', 'E002']);
    expect(second.rows.map((r) => r.employeeNo)).toEqual(['E006', 'X999']);
    expect(first.page).toEqual({ offset: 0, limit: 4, status: null, total: 6 });
    expect(second.page).toEqual({ offset: 4, limit: 4, status: null, total: 6 });
    // Counts of the whole day on every page; visitors on every page as in the whole answer.
    const counts = { complete: 2, 'morning-missing': 0, 'afternoon-missing': 2, absent: 1, fever: 1 };
    expect(first.counts).toEqual(counts);
    expect(second.counts).toEqual(counts);
    expect(second.visitors).toEqual(whole.visitors);
    const missing = await get('?limit=1&offset=1&status=afternoon-missing');
    expect(missing.rows.map((r) => r.employeeNo)).toEqual(['X999']);
    expect(missing.page).toEqual({ offset: 1, limit: 1, status: 'afternoon-missing', total: 2 });
    const fever = await get('?limit=10&status=fever');
    expect(fever.rows).toEqual(whole.rows.filter((r) => r.employeeNo === 'E006'));
    // Past the end: no rows, still the total.
    expect((await get('?limit=10&offset=10')).rows).toEqual([]);
  });

  it('the site day refuses a page it cannot answer', async () => {
    const code = async (query: string) => {
      const res = await t.app.inject({ url: `/api/reports/site-day/${DAY}${query}`, headers: HR });
      return [res.statusCode, res.json().code];
    };
    // Paging parameters without a limit would silently answer the whole day.
    expect(await code('?offset=2')).toEqual([400, 'TG_DASH_BAD_REQUEST']);
    expect(await code('?status=fever')).toEqual([400, 'TG_DASH_BAD_REQUEST']);
    expect(await code('?limit=0')).toEqual([400, 'TG_DASH_BAD_REQUEST']);
    expect(await code('?limit=5001')).toEqual([400, 'TG_DASH_BAD_REQUEST']);
    expect(await code('?limit=10&status=sick')).toEqual([400, 'TG_DASH_BAD_REQUEST']);
  });

  it("one employee's log: a row per day, gaps visible, manual checks beside gate checks", async () => {
    // A handheld re-check after E001's gate check in the same window does not replace the first check.
    await t.app.inject({
      method: 'POST',
      url: '/api/manual-readings',
      headers: HR,
      payload: {
        employeeNo: 'E001',
        temperatureTenths: 371,
        instrument: 'contact',
        at: shanghai(`${DAY}T12:30:00`),
      },
    });
    const res = await t.app.inject({ url: `/api/reports/person/E001?from=${PREV}&to=${DAY}`, headers: HR });
    expect(res.statusCode, res.body).toBe(200);
    const log = res.json() as PersonLog;
    expect([log.employeeNo, log.name, log.department, log.kind]).toEqual([
      'E001',
      '张三',
      '研发部',
      'employee',
    ]);
    expect(
      log.days.map((d) => [d.day, d.status, brief(d.morning), brief(d.afternoon), d.highestTenths]),
    ).toEqual([
      [PREV, 'absent', null, null, null],
      [
        DAY,
        'complete',
        ['11:59:59', 365, 'gate-1', 'gate-thermometer', null],
        ['12:00:00', 366, 'gate-2', 'gate-thermometer', null],
        371,
      ],
    ]);
    expect(log.days[1]?.highest?.source).toBe('handheld');
    expect(log.readings.map((r) => [r.time, r.temperatureTenths, r.source])).toEqual([
      ['11:59:59', 365, 'gate-thermometer'],
      ['12:00:00', 366, 'gate-thermometer'],
      ['12:30:00', 371, 'handheld'],
    ]);
    expect(t.audits.at(-1)).toMatchObject({ by: 'hr1', action: 'report.person', target: 'E001' });
  });

  it('the daily report: counts, missing checks by name, the fever with its disposition, visitors', async () => {
    const res = await t.app.inject({ url: `/api/reports/daily/${DAY}`, headers: HR });
    expect(res.statusCode, res.body).toBe(200);
    const { report: r, kept } = res.json() as { report: DailyReport; kept: boolean };
    expect(kept).toBe(false);
    expect([r.date, r.siteId, r.siteName, r.timeZone, r.rosterVersion]).toEqual([
      DAY,
      'site-a',
      '测试工厂',
      'Asia/Shanghai',
      7,
    ]);
    expect([r.expected, r.screened, r.complete, r.missingChecks]).toEqual([5, 4, 2, 3]);
    expect(r.missing.map((m) => [m.employeeNo, m.name, m.checks])).toEqual([
      ['E005', '钱七', 'absent'],
      ['E002', '李四', 'afternoon-missing'],
      ['E006', '孙八', 'afternoon-missing'],
    ]);
    expect(r.statusCounts).toEqual({
      complete: 2,
      'morning-missing': 0,
      'afternoon-missing': 1,
      absent: 1,
      fever: 1,
    });
    expect(r.manualChecks).toBe(2);
    // The episode of DAY (not the one of another day, not the sensor fault), with its disposition.
    expect(r.fevers).toEqual([
      expect.objectContaining({
        employeeNo: 'E006',
        name: '孙八',
        department: '行政部',
        temperatureTenths: 382,
        time: '08:10:00',
        alertId: 'al-1',
        state: 'cleared',
        disposition: 'sent-home',
        roomId: 'r1',
      }),
    ]);
    expect([r.feverCount, r.zeroReport]).toEqual([1, false]);
    expect(r.visitorsScreened).toBe(1);
    expect(r.visitors[0]).toMatchObject({
      employeeNo: 'V001',
      first: { time: '10:00:00', temperatureTenths: 367 },
    });
    expect(r.othersScreened).toBe(1);
  });

  it('a fever entered by hand, with no episode, is in the report without a disposition', async () => {
    const m = await t.app.inject({
      method: 'POST',
      url: '/api/manual-readings',
      headers: GUARD,
      payload: {
        employeeNo: 'E002',
        temperatureTenths: 379,
        instrument: 'handheld',
        at: shanghai(`${DAY}T15:00:00`),
      },
    });
    expect(m.statusCode).toBe(201);
    const r = (await t.app.inject({ url: `/api/reports/daily/${DAY}`, headers: HR })).json()
      .report as DailyReport;
    expect(
      r.fevers.map((f) => [f.employeeNo, f.temperatureTenths, f.alertId, f.disposition, f.source]),
    ).toEqual([
      ['E006', 382, 'al-1', 'sent-home', null],
      ['E002', 379, null, null, 'handheld'],
    ]);
    expect(r.complete).toBe(3); // E002's afternoon is now the manual check
  });

  it('a zero-case day is a valid report', async () => {
    const res = await t.app.inject({ url: `/api/reports/daily/${PREV}`, headers: HR });
    expect(res.statusCode, res.body).toBe(200);
    const r = res.json().report as DailyReport;
    expect([r.expected, r.screened, r.complete, r.feverCount, r.zeroReport]).toEqual([5, 1, 0, 0, true]);
    expect(r.fevers).toEqual([]);
    expect(r.missing.find((m) => m.employeeNo === 'E002')?.checks).toBe('morning-missing');
    const empty = (await t.app.inject({ url: '/api/reports/daily/2024-02-01', headers: HR })).json()
      .report as DailyReport;
    expect([empty.expected, empty.screened, empty.missingChecks, empty.zeroReport]).toEqual([5, 0, 5, true]);
    // The episode of the 3rd is that day's case.
    const third = (await t.app.inject({ url: '/api/reports/daily/2024-03-03', headers: HR })).json()
      .report as DailyReport;
    expect(third.fevers.map((f) => [f.employeeNo, f.alertId, f.disposition])).toEqual([
      ['E001', 'al-0', 'sent-home'],
    ]);
  });

  it('a manual reading never replaces a gate reading, even in the same millisecond', async () => {
    const at = shanghai(`${DAY}T16:00:00`);
    await env.gate.write([
      gateReading('E005', `${DAY}T16:00:00`, { gateId: 'manual', temperatureTenths: 366 }),
    ]);
    const m = await t.app.inject({
      method: 'POST',
      url: '/api/manual-readings',
      headers: GUARD,
      payload: { employeeNo: 'E005', temperatureTenths: 367, instrument: 'handheld', at },
    });
    expect(m.statusCode).toBe(201);
    // The same entry again (a double click) stays one reading.
    await t.app.inject({
      method: 'POST',
      url: '/api/manual-readings',
      headers: GUARD,
      payload: { employeeNo: 'E005', temperatureTenths: 367, instrument: 'handheld', at },
    });
    const rs = await env.store.readingsByPerson({ employeeNo: 'E005', from: at, to: at + 1 });
    expect(rs.map((r) => [r.source, r.temperatureTenths, r.gateId, r.enteredBy])).toEqual(
      expect.arrayContaining([
        ['gate-thermometer', 366, 'manual', null],
        ['handheld', 367, 'manual', 'guard1'],
      ]),
    );
    expect(rs).toHaveLength(2);
  });

  it('refuses bad manual readings with stable codes and stores nothing', async () => {
    const post = (payload: object, headers = GUARD) =>
      t.app.inject({ method: 'POST', url: '/api/manual-readings', headers, payload });
    const at = shanghai(`${DAY}T10:00:00`);
    const cases: Array<[object, number, string]> = [
      [
        { employeeNo: 'E001', temperatureTenths: 3700, instrument: 'handheld', at },
        400,
        'TG_DASH_REPORT_BAD_READING',
      ],
      [
        { employeeNo: 'E001', temperatureTenths: 370, instrument: 'handheld', at: at + 86_400_000 },
        400,
        'TG_DASH_REPORT_BAD_READING',
      ],
      [
        { employeeNo: 'NOPE', temperatureTenths: 370, instrument: 'handheld', at },
        400,
        'TG_DASH_REPORT_UNKNOWN_PERSON',
      ],
      [{ employeeNo: 'E001', temperatureTenths: 370, instrument: 'laser', at }, 400, 'TG_DASH_BAD_REQUEST'],
      [
        { employeeNo: 'E001', temperatureTenths: 370, instrument: 'handheld', gateId: 'a b' },
        400,
        'TG_DASH_BAD_REQUEST',
      ],
    ];
    for (const [payload, status, code] of cases) {
      const res = await post(payload);
      expect([res.statusCode, res.json().code], JSON.stringify(payload)).toEqual([status, code]);
    }
    expect(
      (await post({ employeeNo: 'E001', temperatureTenths: 370, instrument: 'handheld' }, {} as never))
        .statusCode,
    ).toBe(401);
    const rs = await env.store.readingsByPerson({ employeeNo: 'E001', from: 0, to: Date.now() });
    expect(rs).toHaveLength(2);
  });

  it('an import with bad lines stores nothing and says why, line by line; a good one is idempotent', async () => {
    const before = await env.store.readingsByPerson({ employeeNo: 'E005', from: 0, to: Date.now() });
    const bad = [
      'employeeNo,at,temperature,note',
      `E005,${DAY} 08:30,36.4,ok`,
      `E005,${DAY} 13:30,abc,typo`,
      `NOPE,${DAY} 13:30,36.5,`,
      `E001,"${DAY}",36.5,no time`,
      `E002,${DAY}T14:00:00+08:00,45.1,too hot`,
    ].join('\n');
    const post = (body: string, headers: Record<string, string> = HR) =>
      t.app.inject({
        method: 'POST',
        url: '/api/manual-readings/import',
        headers: { ...headers, 'content-type': 'text/csv; charset=utf-8' },
        payload: body,
      });
    const res = await post(bad);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'TG_DASH_REPORT_IMPORT_INVALID',
      errorCount: 4,
      errors: [
        { line: 3, field: 'temperature' },
        { line: 4, field: 'employeeNo' },
        { line: 5, field: 'at' },
        { line: 6, field: 'temperature' },
      ],
    });
    expect(await env.store.readingsByPerson({ employeeNo: 'E005', from: 0, to: Date.now() })).toEqual(before);
    expect(t.audits.at(-1)).toMatchObject({ action: 'reading.import-refused', detail: { errors: 4 } });

    const good = [
      'employeeNo,at,temperature',
      `E005,${DAY} 08:30,36.4`,
      `E005,${DAY} 13:30,36.5`,
      `E005,${DAY} 13:30,36.5`,
    ].join('\r\n');
    expect((await post(good)).json()).toEqual({ lines: 3, imported: 2, duplicates: 1 });
    expect((await post(good)).json()).toEqual({ lines: 3, imported: 2, duplicates: 1 });
    const after = await env.store.readingsByPerson({ employeeNo: 'E005', from: 0, to: Date.now() });
    expect(
      after.filter((r) => r.source === 'self-report').map((r) => [r.temperatureTenths, r.enteredBy]),
    ).toEqual([
      [364, 'hr1'],
      [365, 'hr1'],
    ]);
    expect((await post(good, GUARD)).statusCode).toBe(403);
    const day = (
      await t.app.inject({ url: `/api/reports/site-day/${DAY}`, headers: HR })
    ).json() as SiteDayLog;
    expect(row(day, 'E005').status).toBe('complete');
  });

  it('refuses bad dates and future days', async () => {
    const get = async (url: string) => {
      const r = await t.app.inject({ url, headers: HR });
      return [r.statusCode, r.json().code];
    };
    expect(await get('/api/reports/daily/2024-02-30')).toEqual([400, 'TG_DASH_BAD_REQUEST']);
    expect(await get('/api/reports/site-day/2024-03-06')).toEqual([400, 'TG_DASH_REPORT_FUTURE_DATE']);
    expect(await get(`/api/reports/person/E001?from=${DAY}&to=${PREV}`)).toEqual([
      400,
      'TG_DASH_REPORT_BAD_PERIOD',
    ]);
    expect(await get('/api/reports/person/E001?from=2022-01-01&to=2024-03-01')).toEqual([
      400,
      'TG_DASH_REPORT_BAD_PERIOD',
    ]);
    expect(await get('/api/exports/site-month/2024-04.csv')).toEqual([400, 'TG_DASH_REPORT_FUTURE_DATE']);
    expect(await get(`/api/exports/site-day/${DAY}.pdf`)).toEqual([400, 'TG_DASH_BAD_REQUEST']);
  });
});
