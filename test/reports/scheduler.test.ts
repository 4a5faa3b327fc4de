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
import { waitFor } from '../harness/wait.ts';
import { shanghai } from '../storage/records.ts';
import { DAY, type Env, knownDay, PREV, type ReportsApp, reportsApp, sqliteBackend } from './fixture.ts';

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
    expect(generic.text).toContain('E006 孙八 38.2 °C 08:10:00 gate-1: 劝返回家 sent home');
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

    // Kept: the API answers the kept copy, with its deliveries.
    const res = (
      await t.app.inject({ url: `/api/reports/daily/${DAY}`, headers: { 'x-test-user': 'hr1:hr' } })
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
    t = await reportsApp(env, { now: () => clock, db, scheduleEveryMs: 50 });
    await new Promise((r) => setTimeout(r, 200));
    expect(received).toEqual([]); // inject()-only apps send nothing
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    await waitFor(() => received.length === 3, { what: 'three webhook posts' });
    expect(t.plugin.service.kept.get(DAY)?.date).toBe(DAY);
  });
});
