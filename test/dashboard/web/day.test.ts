/**
 * Issue #18, the guard's and HR's day in a real browser (Debian's Chromium) on the real site
 * (hub, two edges, simulated devices, the dashboard server):
 * - HR downloads today's daily report after new fevers and gets exactly what the page shows;
 * - no English reaches a zh-CN page: every page of every role is walked and its text checked;
 * - the guard's board keeps focus and every keystroke while decisions arrive;
 * - a gate whose face terminal is dead looks down;
 * - Excel's GBK CSV imports with Chinese headers, and a much smaller file asks before replacing.
 * Screenshots go to test-results/screenshots/ (printed at the end).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../../dashboard/reports/csv.ts';
import { launchBrowser, SCREENSHOTS, type TestBrowser } from './browser.ts';
import { type RunningDashboard, startSiteDashboard, USERS } from './dashboard.ts';
import { passGateA, PEOPLE, type SiteParts, startSiteParts } from './site.ts';

let site: SiteParts;
let dash: RunningDashboard;
let tb: TestBrowser;
const shots: string[] = [];
const person = (i: number) => PEOPLE[i] as (typeof PEOPLE)[number];

async function login(page: Page, role: keyof typeof USERS): Promise<void> {
  await page.goto(dash.url);
  await page.locator('input[name=username]').fill(USERS[role].username);
  await page.locator('input[name=password]').fill(USERS[role].password);
  await page.locator('form.login button[type=submit]').click();
  await page.locator('header.top .who').waitFor();
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => document.querySelector('.toasts')?.replaceChildren());
  shots.push(await tb.screenshot(page, name));
}

/** The CSV's rows without blank separator lines and empty trailing cells. */
function trimRows(rows: string[][]): string[][] {
  return rows
    .map((r) => {
      const c = [...r];
      while (c.length > 0 && c.at(-1) === '') c.pop();
      return c;
    })
    .filter((r) => r.length > 0);
}

beforeAll(async () => {
  site = await startSiteParts();
  dash = await startSiteDashboard(site);
  tb = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await tb?.close();
  await dash?.close();
  await site?.close();
  if (shots.length)
    process.stdout.write(`\nscreenshots in ${SCREENSHOTS}:\n${shots.map((s) => `  ${s}`).join('\n')}\n`);
});

describe('HR: the exported daily report is the page', () => {
  it('downloads today’s report after new fevers and finds exactly the page’s tables, with the generation time', async () => {
    const { page } = await tb.newPage('hr-report');
    await login(page, 'hr');
    await page.goto(`${dash.url}/#/hr/report`);
    const report = page.locator('[data-testid=daily-report]');
    await report.locator('[data-testid=report-summary]').waitFor();

    // Two fevers at gate-a after the page was first opened.
    for (const [i, t] of [
      [0, 384],
      [2, 391],
    ] as const) {
      const r = await passGateA(site.gateA, person(i), t);
      expect(r.verdict?.checkResult).toBe('failed');
    }
    await expect
      .poll(
        async () => {
          await page.reload();
          await report.locator('table[data-table=fevers]').waitFor();
          return report.locator('table[data-table=fevers] tbody tr').count();
        },
        { timeout: 15_000 },
      )
      .toBe(2);

    /** Every table of the page as rows of cell texts, header first (the summary as item/value). */
    const pageRows = await report.evaluate((el) => {
      const out: string[][] = [];
      const dl = el.querySelector('[data-testid=report-summary]');
      const dts = [...(dl?.querySelectorAll('dt') ?? [])];
      const dds = [...(dl?.querySelectorAll('dd') ?? [])];
      out.push(['项目', '数值']);
      dts.forEach((dt, i) => {
        out.push([dt.textContent ?? '', dds[i]?.textContent ?? '']);
      });
      for (const id of ['missing', 'fevers', 'visitors']) {
        const tableEl = el.querySelector(`table[data-table=${id}]`);
        if (!tableEl) continue;
        for (const tr of tableEl.querySelectorAll('tr'))
          out.push([...tr.querySelectorAll('th,td')].map((c) => c.textContent ?? ''));
      }
      return out;
    });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('a[data-export=csv]').click(),
    ]);
    const path = await download.path();
    const { readFileSync } = await import('node:fs');
    const csv = parseCsv(readFileSync(path).toString('utf8')).map((r) => r.cells);
    const fileRows = trimRows(csv);
    // The page was drawn a moment before the download: only the generation time may differ.
    const strip = (rows: string[][]) => rows.filter((r) => r[0] !== '生成时间');
    const pageTables = trimRows(pageRows);
    // A section the page leaves out when empty (no visitors) is a lone header row in the file.
    const withoutEmptySections = strip(fileRows).filter((r, i, all) => {
      const next = all[i + 1];
      return !(r[0] === '工号' && (next === undefined || next[0] === '工号'));
    });
    expect(withoutEmptySections).toEqual(strip(pageTables));
    const summary = new Map(fileRows.map((r) => [r[0], r[1]]));
    expect(summary.get('体温异常人数')).toBe('2');
    expect(summary.get('版本')).toBe('按请求时的数据即时生成');
    expect(summary.get('生成时间')).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(fileRows.some((r) => r[0] === person(2).employeeNo && r.includes('39.1'))).toBe(true);
    await shoot(page, 'hr-daily-report.zh-CN');
    await page.context().close();
  });
});
