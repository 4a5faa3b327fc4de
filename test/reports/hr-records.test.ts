/**
 * HR's notes of people, through the HTTP API on the real store: an absence with its reason takes
 * the person out of "expected" (on leave is not 缺测) in the daily report and the exports; a
 * health declaration naming a symptom raises an alert like a fever (and, asked for, a hold at the
 * hub); self-reported declarations import from Excel's file, all lines or none; the twice-daily
 * export carries the register columns HR keeps by hand.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCsv } from '../../dashboard/reports/csv.ts';
import {
  DAY,
  type Env,
  fakeAlerts,
  knownDay,
  type ReportsApp,
  reportsApp,
  sqliteBackend,
} from './fixture.ts';

const HR = { 'x-test-user': 'hr1:hr' };

describe('absences and health declarations', () => {
  let env: Env;
  let t: ReportsApp;
  const declared: Array<{ employeeNo: string; what: string; day: string }> = [];
  const holds: Array<{ employeeNo: string; note: string }> = [];

  beforeEach(async () => {
    declared.length = 0;
    holds.length = 0;
    env = await sqliteBackend().fresh();
    await env.gate.write(knownDay());
    t = await reportsApp(env, {
      alerts: {
        ...fakeAlerts(),
        declared: (d) => {
          declared.push(d);
          return {} as never;
        },
      },
      openHold: async (_by, body) => {
        holds.push(body);
        return {};
      },
    });
  });
  afterEach(async () => {
    await t.close();
    await env.cleanup();
  });

  const post = (url: string, payload: object | string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url, headers: { ...HR, ...headers }, payload });

  it('somebody on leave is not expected and not missing; the export says why', async () => {
    const before = (await t.app.inject({ url: `/api/reports/daily/${DAY}`, headers: HR })).json().report;
    expect(before.missing.map((m: { employeeNo: string }) => m.employeeNo)).toContain('E002');

    const a = await post('/api/absences', {
      employeeNo: 'E002',
      from: DAY,
      to: DAY,
      reason: 'sick-leave',
      note: '发烧请假',
    });
    expect(a.statusCode, a.body).toBe(201);
    const after = (await t.app.inject({ url: `/api/reports/daily/${DAY}`, headers: HR })).json().report;
    expect(after.expected).toBe(before.expected - 1);
    expect(after.absent).toBe(1);
    expect(after.missing.map((m: { employeeNo: string }) => m.employeeNo)).not.toContain('E002');

    const csv = await t.app.inject({ url: `/api/exports/site-day/${DAY}.csv`, headers: HR });
    const [head, ...rows] = parseCsv(csv.rawPayload.toString('utf8')).map((r) => r.cells);
    expect(head?.slice(18)).toEqual(['状态', '口罩', '缺勤原因', '健康申报', '处置情况', '备注']);
    const e2 = rows.find((r) => r[1] === 'E002') as string[];
    expect([e2[20], e2[23]]).toEqual(['病假', '发烧请假']);
    // The absence is listed for the day and audited.
    const list = (await t.app.inject({ url: `/api/absences?day=${DAY}`, headers: HR })).json();
    expect(list.map((x: { employeeNo: string; reason: string }) => [x.employeeNo, x.reason])).toEqual([
      ['E002', 'sick-leave'],
    ]);
    expect(t.audits.at(-2)).toMatchObject({ action: 'absence.record', target: 'E002' });
  });

  it('a declared symptom raises an alert like a fever, and a hold when asked; a clean one does not', async () => {
    const clean = await post('/api/declarations', { employeeNo: 'E001', day: DAY });
    expect(clean.json()).toEqual({ alerted: false });
    const sick = await post('/api/declarations', {
      employeeNo: 'E003',
      day: DAY,
      symptoms: ['cough', 'fatigue'],
      travel: '武汉',
      hold: true,
    });
    expect([sick.statusCode, sick.json()]).toEqual([201, { alerted: true }]);
    expect(declared).toEqual([
      expect.objectContaining({ employeeNo: 'E003', day: DAY, what: '咳嗽、乏力、14天内行程：武汉' }),
    ]);
    expect(holds).toEqual([
      expect.objectContaining({ employeeNo: 'E003', note: '健康申报：咳嗽、乏力、14天内行程：武汉' }),
    ]);
    const csv = await t.app.inject({ url: `/api/exports/site-day/${DAY}.csv`, headers: HR });
    const rows = parseCsv(csv.rawPayload.toString('utf8')).map((r) => r.cells);
    expect(rows.find((r) => r[1] === 'E003')?.[21]).toBe('咳嗽、乏力、14天内行程: 武汉');
    expect(rows.find((r) => r[1] === 'E001')?.[21]).toBe('无');
    const report = (await t.app.inject({ url: `/api/reports/daily/${DAY}`, headers: HR })).json().report;
    expect(report.declaredSymptoms).toBe(1);
  });

  it('imports self-reported declarations with Chinese headers, all lines or none', async () => {
    const bad = await post(
      '/api/declarations/import',
      `工号,日期,症状,行程,接触史\nE001,${DAY},无,无,否\nE002,${DAY},头晕,,否\n`,
      {
        'content-type': 'text/csv',
      },
    );
    expect([bad.statusCode, bad.json().errors]).toEqual([
      400,
      [expect.objectContaining({ line: 3, problem: 'bad-symptom', params: { value: '头晕' } })],
    ]);
    expect(declared).toEqual([]);
    const good = await post(
      '/api/declarations/import',
      `工号,日期,症状,行程,接触史\nE001,${DAY},无,无,否\nE002,${DAY},发热、咳嗽,,是\n`,
      {
        'content-type': 'text/csv',
      },
    );
    expect(good.json()).toEqual({ imported: 2, alerted: 1 });
    expect(declared.map((d) => [d.employeeNo, d.what])).toEqual([['E002', '发热、咳嗽、14天内有病例接触史']]);
    const list = (await t.app.inject({ url: `/api/declarations?day=${DAY}`, headers: HR })).json();
    expect(list.map((d: { employeeNo: string; source: string }) => [d.employeeNo, d.source])).toEqual([
      ['E001', 'self-report'],
      ['E002', 'self-report'],
    ]);
  });
});
