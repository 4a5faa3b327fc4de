/**
 * The daily report goes out by itself: at reports.dailyAt local time (an injected clock), kept in
 * the dashboard's database and posted to a local HTTP receiver in the generic, DingTalk (signed)
 * and WeCom formats; retried when the receiver fails; days missed while the dashboard was down
 * are caught up; the kept report is what GET /api/reports/daily answers.
 */
import { createHmac } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DailyReport } from '../../dashboard/reports/index.ts';
import { ManualClock } from '../../kernel/clock.ts';
import { waitFor } from '../harness/wait.ts';
import { shanghai } from '../storage/records.ts';
import { parseCsv } from '../../dashboard/reports/csv.ts';
import { reportTables, cellText } from '../../dashboard/reports/export-tables.ts';
import { LocalTime } from '../../dashboard/reports/local-format.ts';
import {
  DAY,
  type Env,
  gateReading,
  knownDay,
  PREV,
  type ReportsApp,
  reportsApp,
  sqliteBackend,
} from './fixture.ts';

interface Received {
  path: string;
  query: URLSearchParams;
  body: Record<string, unknown>;
}

let server: Server;
let base: string;
let received: Received[];
/** The receiver answers 500 this many times first. */
let failures: number;

beforeEach(async () => {
  received = [];
  failures = 0;
  server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      if (failures > 0) {
        failures -= 1;
        res.writeHead(500).end('busy');
        return;
      }
      const url = new URL(req.url ?? '/', 'http://x');
      received.push({ path: url.pathname, query: url.searchParams, body: JSON.parse(body) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(url.pathname === '/generic' ? '{}' : '{"errcode":0,"errmsg":"ok"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterEach(async () => {
  await new Promise((r) => server.close(r));
});

describe('the daily report scheduler', () => {
  let env: Env;
  let t: ReportsApp;
  let clock: number;
  let db: Database.Database;
  const secretFile = join(process.env.TMPDIR ?? '/tmp', `tg-ding-secret-${process.pid}`);

  async function open(): Promise<ReportsApp> {
    return reportsApp(env, {
      now: () => clock,
      db,
      webhookRetry: { attempts: 3, baseDelayMs: 60_000, timeoutMs: 2000 },
    });
  }

  beforeEach(async () => {
    await writeFile(secretFile, 'SEC-test\n');
    env = await sqliteBackend({
      reports: {
        dailyAt: '18:00',
        webhooks: [
          { kind: 'generic', url: `${base}/generic` },
          { kind: 'dingtalk', url: `${base}/dingtalk?access_token=abc`, secretFile },
          { kind: 'wecom', url: `${base}/wecom?key=k` },
        ],
      },
    }).fresh();
    await env.gate.write(knownDay());
    db = new Database(':memory:');
    clock = shanghai(`${DAY}T17:59:59`);
    t = await open();
  });
  afterEach(async () => {
    await t.close();
    db.close();
    await env.cleanup();
  });

  it('fires at dailyAt local time, keeps the report and posts it to every webhook once', async () => {
    await t.plugin.scheduler.tick();
    expect(received).toEqual([]);
    expect(
      (await t.app.inject({ url: `/api/reports/daily/${DAY}`, headers: { 'x-test-user': 'hr1:hr' } })).json()
        .kept,
    ).toBe(false);

    clock = shanghai(`${DAY}T18:00:00`);
    await t.plugin.scheduler.tick();
    expect(received.map((r) => r.path).sort()).toEqual(['/dingtalk', '/generic', '/wecom']);
    const generic = received.find((r) => r.path === '/generic')?.body as {
      type: string;
      report: DailyReport;
      text: string;
    };
    expect(generic.type).toBe('thermogate.report.daily');
    expect(generic.report).toMatchObject({
      date: DAY,
      expected: 5,
      screened: 3,
      feverCount: 1,
      zeroReport: false,
    });
    expect(generic.report.fevers[0]).toMatchObject({ employeeNo: 'E006', disposition: 'sent-home' });
    expect(generic.text).toContain(`测试工厂 ${DAY}`);
    expect(generic.text).toContain('E006 孙八 38.2 °C 08:10:00 gate-1: 劝返回家');
    // In the site's language only, with the page's words (issue #18: robots got English).
    expect(generic.text).toContain('体温异常人数：1');
    expect(generic.text).not.toMatch(/fevers|screened|sent home/);
    const ding = received.find((r) => r.path === '/dingtalk') as Received;
    expect(ding.body).toEqual({ msgtype: 'text', text: { content: generic.text } });
    const ts = ding.query.get('timestamp') as string;
    expect(ding.query.get('access_token')).toBe('abc');
    expect(ding.query.get('sign')).toBe(
      createHmac('sha256', 'SEC-test').update(`${ts}\nSEC-test`).digest('base64'),
    );
    expect(received.find((r) => r.path === '/wecom')?.body).toEqual({
      msgtype: 'text',
      text: { content: generic.text },
    });

    // Kept: the API answers the sent copy when asked for it, with its deliveries; by default the
    // report is generated now, and says that the sent copy still matches.
    const live = (
      await t.app.inject({ url: `/api/reports/daily/${DAY}`, headers: { 'x-test-user': 'hr1:hr' } })
    ).json();
    expect([live.kept, live.sent]).toEqual([false, { generatedAt: clock, identical: true }]);
    const res = (
      await t.app.inject({
        url: `/api/reports/daily/${DAY}?version=sent`,
        headers: { 'x-test-user': 'hr1:hr' },
      })
    ).json();
    expect(res.kept).toBe(true);
    expect(res.report.generatedAt).toBe(clock);
    expect(res.deliveries.map((d: { kind: string; state: string }) => [d.kind, d.state])).toEqual([
      ['generic', 'sent'],
      ['dingtalk', 'sent'],
      ['wecom', 'sent'],
    ]);

    clock += 3_600_000;
    await t.plugin.scheduler.tick();
    expect(received).toHaveLength(3);
  });

  it('the export after the send time is what the page shows now, not the copy sent (issue #18)', async () => {
    const HR = { 'x-test-user': 'hr1:hr' };
    clock = shanghai(`${DAY}T18:00:00`);
    await t.plugin.scheduler.tick();
    const sent = t.plugin.service.kept.get(DAY) as DailyReport;
    expect(sent.feverCount).toBe(1);
    // After the report went out: a new fever, and an absent employee measured twice.
    await env.gate.write([
      gateReading('E003', `${DAY}T18:20:00`, {
        temperatureTenths: 386,
        decision: 'flagged',
        reason: 'fever',
      }),
      gateReading('E005', `${DAY}T18:21:00`, { temperatureTenths: 365 }),
    ]);
    clock = shanghai(`${DAY}T18:30:00`);

    const page = (await t.app.inject({ url: `/api/reports/daily/${DAY}`, headers: HR })).json();
    expect(page.kept).toBe(false);
    expect(page.sent).toEqual({ generatedAt: shanghai(`${DAY}T18:00:00`), identical: false });
    expect(page.report.generatedAt).toBe(clock);
    expect(page.report.feverCount).toBe(2);

    const res = await t.app.inject({ url: `/api/exports/daily/${DAY}.csv`, headers: HR });
    expect(res.statusCode, res.body).toBe(200);
    const csv = parseCsv(res.rawPayload.toString('utf8')).map((r) => r.cells);
    // What the page draws from the same answer (web/app/hr/daily-report.ts), cell by cell.
    const tables = reportTables(
      'zh-CN',
      page.report,
      new LocalTime('Asia/Shanghai').dateTime(page.report.generatedAt),
    );
    const drawn = tables.flatMap((tb) => [
      tb.columns.map((c) => c.header),
      ...tb.rows.map((r) => r.map((v, j) => cellText(tb.columns[j]?.kind ?? 'text', v))),
    ]);
    // The CSV's blank separator lines and empty trailing cells carry nothing.
    const trim = (rows: string[][]) =>
      rows
        .map((r) => {
          const c = [...r];
          while (c.length > 0 && c.at(-1) === '') c.pop();
          return c;
        })
        .filter((r) => r.length > 0);
    expect(trim(csv)).toEqual(trim(drawn));
    const summary = new Map(csv.map((r) => [r[0], r[1]]));
    expect(summary.get('生成时间')).toBe(`${DAY} 18:30:00`);
    expect(summary.get('版本')).toBe('按请求时的数据即时生成');
    expect(summary.get('体温异常人数')).toBe('2');
    expect(csv.some((r) => r[0] === 'E003' && r.includes('38.6'))).toBe(true);

    // Asked for, the copy sent at 18:00 is exported as it was sent, and says so.
    const old = await t.app.inject({ url: `/api/exports/daily/${DAY}.csv?version=sent`, headers: HR });
    const oldRows = new Map(parseCsv(old.rawPayload.toString('utf8')).map((r) => [r.cells[0], r.cells[1]]));
    expect([oldRows.get('生成时间'), oldRows.get('版本'), oldRows.get('体温异常人数')]).toEqual([
      `${DAY} 18:00:00`,
      '按时生成并已发送的存档',
      '1',
    ]);
    // A day without a sent copy has none to ask for.
    const none = await t.app.inject({ url: `/api/reports/daily/${PREV}?version=sent`, headers: HR });
    expect([none.statusCode, none.json().code]).toEqual([404, 'TG_DASH_REPORT_NOT_SENT']);
  });

  it('retries a failing receiver with growing pauses', async () => {
    failures = 2;
    clock = shanghai(`${DAY}T18:00:00`);
    await t.plugin.scheduler.tick(); // the first two deliveries fail, the third gets through
    expect(received).toHaveLength(1);
    clock += 59_000;
    await t.plugin.scheduler.tick();
    expect(received).toHaveLength(1);
    clock += 1000;
    await t.plugin.scheduler.tick();
    expect(received).toHaveLength(3);
  });

  it('catches up the days missed while the dashboard was down, and survives a restart', async () => {
    clock = shanghai(`${PREV}T20:00:00`);
    await t.plugin.scheduler.tick();
    expect(
      received.filter((r) => r.path === '/generic').map((r) => (r.body.report as DailyReport).date),
    ).toEqual([PREV]);
    // Down from the evening of PREV until two days later, morning: DAY is due, the 6th not yet.
    await t.close();
    clock = shanghai('2024-03-07T09:00:00');
    t = await open();
    await t.plugin.scheduler.tick();
    expect(
      received.filter((r) => r.path === '/generic').map((r) => (r.body.report as DailyReport).date),
    ).toEqual([PREV, DAY, '2024-03-06']);
  });

  it('runs by itself once the app listens', async () => {
    await t.close();
    clock = shanghai(`${DAY}T18:30:00`);
    // The scheduler's timer on a manual clock: "nothing by itself" is checked by moving time on,
    // not by waiting and hoping a timer would have fired.
    const timers = new ManualClock(clock);
    t = await reportsApp(env, { now: () => clock, db, scheduleEveryMs: 50, clock: timers });
    // inject()-only apps send nothing: no timer is armed, however far time moves.
    expect(timers.pending).toBe(0);
    timers.advance(10 * 50);
    expect(received).toEqual([]);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    expect(timers.pending).toBe(1);
    timers.advance(50);
    await waitFor(() => received.length === 3, { what: 'three webhook posts' });
    expect(t.plugin.service.kept.get(DAY)?.date).toBe(DAY);
  });
});
