/**
 * Exports on both stores: CSV (BOM, RFC 4180, formula-safe, Chinese intact, read back by our
 * parser and by exceljs' CSV reader) and XLSX (read back with exceljs); the person, site-day,
 * site-month and daily-report exports; Content-Disposition with an RFC 5987 name; the audit.
 */
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseCsv } from '../../dashboard/reports/csv.ts';
import { SqliteReadingStore } from '../../dashboard/store/sqlite-store.ts';
import { type Influxd, startInfluxd } from '../harness/influxd.ts';
import { shanghai } from '../storage/records.ts';
import {
  type Backend,
  DAY,
  type Env,
  influxBackend,
  knownDay,
  PREV,
  ROSTER,
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

async function xlsx(buf: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf as unknown as ArrayBuffer);
  return wb;
}
const values = (ws: ExcelJS.Worksheet): unknown[][] => {
  const out: unknown[][] = [];
  ws.eachRow((r) => out.push((r.values as unknown[]).slice(1)));
  return out;
};
/** filename* of a Content-Disposition, decoded. */
const filenameStar = (h: string): string =>
  decodeURIComponent(/filename\*=UTF-8''([^;]+)/.exec(h)?.[1] ?? '');

describe.each([
  ['sqlite', () => sqliteBackend()],
  ['influx', () => influxBackend(() => influxd)],
  ['influx (reading_log)', () => influxBackend(() => influxd, {}, { logMeasurement: true })],
] as Array<[string, () => Backend]>)('exports on %s', (_name, backend) => {
  let env: Env;
  let t: ReportsApp;
  beforeEach(async () => {
    env = await backend().fresh();
    await env.gate.write(knownDay());
    t = await reportsApp(env, {
      // Exports print names people know, not ids (issue #18).
      names: {
        gate: (id) => (id === 'gate-2' ? '南门' : undefined),
        room: () => undefined,
        user: (u) => (u === 'guard1' ? '王保安' : undefined),
      },
      roster: () => ({
        ...ROSTER,
        entries: [
          ...ROSTER.entries,
          // Typed by people: a spreadsheet must not run it.
          {
            employeeNo: 'E900',
            name: '=HYPERLINK("http://evil")',
            department: '@dept',
            kind: 'employee',
            validFrom: null,
            validUntil: null,
          },
        ],
      }),
    });
    const m = await t.app.inject({
      method: 'POST',
      url: '/api/manual-readings',
      headers: { 'x-test-user': 'guard1:guard' },
      payload: {
        employeeNo: 'E003',
        temperatureTenths: 368,
        instrument: 'handheld',
        at: shanghai(`${DAY}T09:00:00`),
      },
    });
    expect(m.statusCode).toBe(201);
  });
  afterEach(async () => {
    await t.close();
    await env.cleanup();
  });

  it('site day as CSV: BOM, Chinese intact, RFC 4180, formula-safe; exceljs reads it too', async () => {
    const res = await t.app.inject({ url: `/api/exports/site-day/${DAY}.csv`, headers: HR });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(filenameStar(String(res.headers['content-disposition']))).toBe(
      `thermogate_site-a_site-day_${DAY}.csv`,
    );
    const bytes = res.rawPayload;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8');
    expect(text).toContain('\r\n');
    const [head, ...rows] = parseCsv(text).map((r) => r.cells);
    expect(head?.slice(0, 7)).toEqual(['日期', '工号', '姓名', '部门', '类别', '上午时间', '上午体温(°C)']);
    const byNo = new Map(rows.map((r) => [r[1], r]));
    // Department order ('@dept' sorts first), then anyone unlisted, then visitors.
    expect(rows.map((r) => r[1])).toEqual(['E900', 'E003', 'E005', 'E001', 'E002', 'E006', 'X999', 'V001']);
    expect(byNo.get('E001')).toEqual([
      DAY,
      'E001',
      '张三',
      '研发部',
      '员工',
      '11:59:59',
      '36.5',
      'gate-1',
      '闸机测温仪',
      '',
      '12:00:00',
      '36.6',
      '南门',
      '闸机测温仪',
      '',
      '36.6',
      '12:00:00',
      '2',
      '完整',
      // The mask the terminal saw; absence reason, declaration, disposition, notes: none that day.
      '已戴',
      '',
      '',
      '',
      '',
    ]);
    expect(byNo.get('E003')?.slice(5, 10)).toEqual([
      '09:00:00',
      '36.8',
      '人工录入（不在闸机）',
      '人工手持',
      '王保安',
    ]);
    // A missing check says so; a visitor is screened, never "afternoon missing".
    expect(byNo.get('E003')?.slice(10, 12)).toEqual(['缺测', '']);
    expect(byNo.get('E006')?.[18]).toBe('体温异常');
    expect([byNo.get('V001')?.[4], byNo.get('V001')?.[10], byNo.get('V001')?.[18]]).toEqual([
      '访客',
      '',
      '已检测',
    ]);
    // Formula-looking text is neutralized, quotes doubled on the wire and undone by the reader.
    expect(byNo.get('E900')?.slice(2, 4)).toEqual(['\'=HYPERLINK("http://evil")', "'@dept"]);
    expect(text).toContain(`"'=HYPERLINK(""http://evil"")"`);

    const ws = await new ExcelJS.Workbook().csv.read(Readable.from([text.slice(1)]));
    const names = values(ws).map((r) => r[2]);
    expect(names).toContain('张三');
    expect(names).toContain('访客甲');
    expect(t.audits.at(-1)).toEqual({
      by: 'hr1',
      action: 'export.site-day',
      target: DAY,
      detail: { format: 'csv', people: 7, visitors: 1 },
    });
  });

  it('site day as XLSX, read back with exceljs; headers in the user language', async () => {
    const res = await t.app.inject({
      url: `/api/exports/site-day/${DAY}.xlsx`,
      headers: { 'x-test-user': 'hr1:hr:en' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    const wb = await xlsx(res.rawPayload);
    const ws = wb.worksheets[0] as ExcelJS.Worksheet;
    expect(ws.name).toBe('Temperature log');
    const [head, ...rows] = values(ws);
    expect(head?.slice(0, 3)).toEqual(['Date', 'Employee no.', 'Name']);
    const e1 = rows.find((r) => r[1] === 'E001') as unknown[];
    // Dates and times are real ones (Excel's serial numbers, shown in the site's wall-clock time).
    expect(e1[0]).toEqual(new Date(`${DAY}T00:00:00Z`));
    expect(e1[5]).toEqual(new Date('1899-12-30T11:59:59Z'));
    expect(e1.slice(1, 5)).toEqual(['E001', '张三', '研发部', 'employee']);
    expect(e1.slice(6, 8)).toEqual([36.5, 'gate-1']);
    expect(e1[18]).toBe('complete');
    expect([ws.getColumn(1).numFmt, ws.getColumn(6).numFmt, ws.getColumn(7).numFmt]).toEqual([
      'yyyy-mm-dd',
      'hh:mm:ss',
      '0.0',
    ]);
    expect(rows.find((r) => r[1] === 'E006')?.[15]).toBe(38.2);
    // A string cell is never a formula in Excel: the CSV's apostrophe would only spoil the name.
    const evil = ws.getRow(rows.findIndex((r) => r[1] === 'E900') + 2).getCell(3);
    expect([evil.value, evil.type]).toEqual(['=HYPERLINK("http://evil")', ExcelJS.ValueType.String]);
    expect(rows.find((r) => r[1] === 'E003')?.[10]).toBe('missing');
    expect(t.audits.at(-1)).toMatchObject({ action: 'export.site-day', detail: { format: 'xlsx' } });
  });

  it("one employee's period, named in the file name (RFC 5987 for the Chinese name)", async () => {
    const res = await t.app.inject({
      url: `/api/exports/person/E001.xlsx?from=${PREV}&to=${DAY}`,
      headers: HR,
    });
    expect(res.statusCode, res.body).toBe(200);
    const cd = String(res.headers['content-disposition']);
    expect(cd).toMatch(
      /^attachment; filename="thermogate_site-a_person_E001____2024-03-04_2024-03-05\.xlsx"; filename\*=UTF-8''/,
    );
    expect(filenameStar(cd)).toBe(`thermogate_site-a_person_E001_张三_${PREV}_${DAY}.xlsx`);
    const rows = values((await xlsx(res.rawPayload)).worksheets[0] as ExcelJS.Worksheet).slice(1);
    expect(rows.map((r) => [r[0], r[18]])).toEqual([
      [new Date(`${PREV}T00:00:00Z`), '全天缺测'],
      [new Date(`${DAY}T00:00:00Z`), '完整'],
    ]);
    expect(t.audits.at(-1)).toEqual({
      by: 'hr1',
      action: 'export.person',
      target: 'E001',
      detail: { format: 'xlsx', from: PREV, to: DAY, days: 2 },
    });
  });

  it('the site for a month, day after day, in both formats', async () => {
    const csv = await t.app.inject({ url: '/api/exports/site-month/2024-03.csv', headers: HR });
    expect(csv.statusCode, csv.body).toBe(200);
    const rows = parseCsv(csv.rawPayload.toString('utf8'))
      .slice(1)
      .map((r) => r.cells);
    // Up to today (the 5th): 6 expected a day, plus on DAY someone unlisted and a visitor, on PREV nobody else.
    expect(rows).toHaveLength(5 * 6 + 2);
    expect([...new Set(rows.map((r) => r[0]))]).toEqual([
      '2024-03-01',
      '2024-03-02',
      '2024-03-03',
      PREV,
      DAY,
    ]);
    expect(rows.find((r) => r[0] === PREV && r[1] === 'E002')?.slice(10, 12)).toEqual(['23:59:59', '36.3']);
    const x = await t.app.inject({ url: '/api/exports/site-month/2024-03.xlsx', headers: HR });
    expect(x.statusCode).toBe(200);
    const back = values((await xlsx(x.rawPayload)).worksheets[0] as ExcelJS.Worksheet).slice(1);
    expect(back.map((r) => [(r[0] as Date).toISOString().slice(0, 10), r[1], r[18]])).toEqual(
      rows.map((r) => [r[0], r[1], r[18]]),
    );
    expect(t.audits.filter((a) => a.action === 'export.site-month').map((a) => a.target)).toEqual([
      '2024-03',
      '2024-03',
    ]);
  });

  it('the daily report: summary, missing checks, fevers with disposition, visitors', async () => {
    const res = await t.app.inject({ url: `/api/exports/daily/${DAY}.xlsx`, headers: HR });
    expect(res.statusCode, res.body).toBe(200);
    const wb = await xlsx(res.rawPayload);
    expect(wb.worksheets.map((w) => w.name)).toEqual([
      '汇总',
      '各部门汇总',
      '缺测名单',
      '体温异常人员',
      '访客',
    ]);
    const summary = new Map(values(wb.worksheets[0] as ExcelJS.Worksheet).map((r) => [r[0], r[1]]));
    // Counts are numbers in XLSX; people and checks are told apart (缺测人数 vs 缺测次数).
    expect([
      summary.get('应检人数'),
      summary.get('实检人数'),
      summary.get('早晚两检完整人数'),
      summary.get('缺测人数'),
      summary.get('缺测次数'),
      summary.get('零报告'),
    ]).toEqual([6, 4, 1, 5, 7, '否']);
    // Per department (the plans' per-department submission): the counts add up to the site's.
    const depts = values(wb.worksheets[1] as ExcelJS.Worksheet).slice(1);
    expect(depts.reduce((n, d) => n + (d[1] as number), 0)).toBe(6);
    expect(depts.reduce((n, d) => n + (d[6] as number), 0)).toBe(1);
    const fevers = values(wb.worksheets[3] as ExcelJS.Worksheet).slice(1);
    expect(fevers.map((f) => [f[0], f[1], f[5], f[9]])).toEqual([['E006', '孙八', 38.2, '劝返回家']]);
    const csv = await t.app.inject({
      url: `/api/exports/daily/${PREV}.csv`,
      headers: { 'x-test-user': 'hr1:hr:en' },
    });
    const lines = parseCsv(csv.rawPayload.toString('utf8')).map((r) => r.cells);
    expect(lines).toContainEqual(['Zero report', 'yes']);
    expect(lines).toContainEqual([
      'Employee no.',
      'Name',
      'Department',
      'Missing',
      'Morning time',
      'Morning °C',
      'Afternoon time',
      'Afternoon °C',
    ]);
  });
});

describe('exports when the store is down', () => {
  it('answer 503 with a code, not a cut-off file', async () => {
    const env = await sqliteBackend().fresh();
    const store = new SqliteReadingStore({ path: '/nonexistent/readings.sqlite' });
    const t = await reportsApp({ ...env, store });
    try {
      for (const url of [
        `/api/exports/site-day/${DAY}.csv`,
        '/api/exports/site-month/2024-03.xlsx',
        `/api/reports/daily/${DAY}`,
      ]) {
        const res = await t.app.inject({ url, headers: HR });
        expect([res.statusCode, res.json().code], url).toEqual([503, 'TG_DASH_REPORT_STORE_UNAVAILABLE']);
      }
      expect(t.audits).toEqual([]);
    } finally {
      await t.close();
      await env.cleanup();
    }
  });
});
