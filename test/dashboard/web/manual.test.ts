/**
 * Manual and self-reported readings through the pages, in a real browser against the real site
 * (the fixture of pages.test.ts): HR records a handheld reading and finds it in the employee's
 * twice-daily log marked as entered by hand; HR imports self-reports (a bad file refused with its
 * line, nothing stored; then a good one); a guard records a reading from the board. Screenshots
 * of HR's manual-readings page in both languages go to test-results/screenshots/.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, SCREENSHOTS, type TestBrowser } from './browser.ts';
import { type RunningDashboard, startSiteDashboard, USERS } from './dashboard.ts';
import { type SiteParts, startSiteParts } from './site.ts';

let site: SiteParts;
let dash: RunningDashboard;
let tb: TestBrowser;
let hr: Page;
const shots: string[] = [];

/** Shanghai's calendar day `daysAgo` days before now (the fixture seeds days 1 to 7 ago). */
const day = (daysAgo: number) =>
  new Date(Date.now() + 8 * 3_600_000 - daysAgo * 86_400_000).toISOString().slice(0, 10);

async function login(page: Page, role: keyof typeof USERS): Promise<void> {
  await page.goto(dash.url);
  await page.locator('input[name=username]').fill(USERS[role].username);
  await page.locator('input[name=password]').fill(USERS[role].password);
  await page.locator('form.login button[type=submit]').click();
  await page.locator('header.top .who').waitFor();
}

async function setLanguage(page: Page, lang: 'zh' | 'en'): Promise<void> {
  const want = lang === 'zh' ? 'zh-CN' : 'en';
  if ((await page.locator('html').getAttribute('lang')) !== want)
    await page.locator('[data-testid=lang]').click();
  await page.waitForFunction((l) => document.documentElement.lang === l, want);
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => document.querySelector('.toasts')?.replaceChildren());
  shots.push(await tb.screenshot(page, name));
}

/** One day's row of an employee's log, opened through the page's own form. */
async function logRow(page: Page, employeeNo: string, date: string): Promise<Locator> {
  await page.goto(`${dash.url}/#/hr/person?no=${employeeNo}`);
  const row = page.locator(`[data-testid=person-log] table.log tr[data-day="${date}"]`);
  await row.waitFor();
  return row;
}

async function chooseCsv(page: Page, text: string): Promise<void> {
  await page
    .locator('[data-testid=self-report-file]')
    .setInputFiles({ name: 'self-reports.csv', mimeType: 'text/csv', buffer: Buffer.from(text) });
}

beforeAll(async () => {
  site = await startSiteParts();
  dash = await startSiteDashboard(site);
  tb = await launchBrowser();
  ({ page: hr } = await tb.newPage('hr'));
  await login(hr, 'hr');
}, 60_000);

afterAll(async () => {
  await tb?.close();
  await dash?.close();
  await site?.close();
  if (shots.length)
    process.stdout.write(`\nscreenshots in ${SCREENSHOTS}:\n${shots.map((s) => `  ${s}`).join('\n')}\n`);
});

describe('HR records a manual reading', () => {
  it('is told clearly about a bad temperature (in the page) and an unknown employee (from the server)', async () => {
    await hr.goto(`${dash.url}/#/hr/manual`);
    expect(
      await hr.locator('header nav a').evaluateAll((as) => as.map((a) => a.getAttribute('data-nav'))),
    ).toContain('/hr/manual');
    const form = hr.locator('[data-testid=manual-panel] [data-testid=manual-form]');
    await form.waitFor();

    // A typo is stopped in the page, before any request.
    await form.locator('[data-testid=manual-employee]').fill('E3');
    await form.locator('[data-testid=manual-temp]').fill('3.69');
    await form.locator('[data-testid=manual-submit]').click();
    await expect
      .poll(() => form.locator('[data-testid=manual-error]').textContent())
      .toBe('格式应为 36.8（一位小数）。');

    // Somebody not on the access list: the server refuses, the page says so in words.
    await form.locator('[data-testid=manual-employee]').fill('E99');
    await form.locator('[data-testid=manual-temp]').fill('36.8');
    await tb.expectErrors([/status of 400/], async () => {
      await form.locator('[data-testid=manual-submit]').click();
      await expect
        .poll(() => form.locator('[data-testid=manual-error]').textContent())
        .toBe('工号 E99 不在通行名单上，未记录。请核对工号。');
    });
    expect(await form.locator('[data-testid=manual-result]').textContent()).toContain(
      'TG_DASH_REPORT_UNKNOWN_PERSON',
    );
  });

  it('records a handheld reading taken days ago; the log shows it as manual, entered by HR', async () => {
    // The fixture left E3's afternoon five days ago without a check.
    const date = day(5);
    const before = await logRow(hr, 'E3', date);
    expect(await before.locator('td.status').getAttribute('class')).toContain('status-afternoon-missing');

    await hr.goto(`${dash.url}/#/hr/manual`);
    const form = hr.locator('[data-testid=manual-panel] [data-testid=manual-form]');
    await form.locator('[data-testid=manual-employee]').fill('E3');
    await form.locator('[data-testid=manual-temp]').fill('36.9');
    await form.locator('[data-testid=manual-instrument]').selectOption('handheld');
    await form.locator('[data-testid=manual-time]').fill(`${date}T15:10`);
    await form.locator('[data-testid=manual-submit]').click();
    const ok = form.locator('[data-testid=manual-ok]');
    await ok.waitFor();
    expect(await ok.textContent()).toContain(`E3 36.9 °C，${date} 15:10`);

    await ok.locator('[data-testid=manual-log-link]').click();
    const row = hr.locator(`[data-testid=person-log] table.log tr[data-day="${date}"]`);
    const cell = row.locator('td.entry[data-source=handheld]');
    await cell.waitFor();
    const text = await cell.textContent();
    expect(text).toContain('36.9 °C');
    expect(text).toContain('15:10');
    expect(text).toContain('人工手持');
    expect(text).toContain(`录入人 ${USERS.hr.username}`);
    expect(await cell.getAttribute('class')).toContain('manual');
    expect(await row.locator('td.status').getAttribute('class')).toContain('status-complete');
  });
});

describe('HR imports self-reports', () => {
  // The fixture left E4 without either check two days ago and E2 without a morning three days ago.
  const good = `工号,体温,测温时间\nE4,36.5,${day(2)} 08:40\nE2,36.7,${day(3)} 08:15\n`;

  it('sees a bad file refused with its line, and nothing of it stored', async () => {
    await hr.goto(`${dash.url}/#/hr/manual`);
    await chooseCsv(hr, `工号,体温,测温时间\nE4,36.5,${day(2)} 08:40\nE2,3.67,${day(3)} 08:15\n`);
    const report = hr.locator('[data-testid=self-report-report]');
    await tb.expectErrors([/status of 400/], async () => {
      await hr.locator('[data-testid=self-report-submit]').click();
      await report.locator('ul.line-errors li').first().waitFor();
    });
    expect(await report.locator('p.error').textContent()).toBe('文件有 1 处错误，未导入任何数据：');
    const lines = report.locator('ul.line-errors li');
    expect(await lines.count()).toBe(1);
    expect(await lines.first().getAttribute('data-line')).toBe('3');
    expect(await lines.first().textContent()).toBe('第 3 行: 体温应为摄氏度，如 36.6：“3.67”');
    await shoot(hr, 'hr-manual.zh-CN');

    // The good line of the refused file was not stored either: E4's day is still empty.
    const row = await logRow(hr, 'E4', day(2));
    expect(await row.locator('td.gap').count()).toBe(2);
  });

  it('imports a good file, shows the count, and the log marks the readings as self-reported', async () => {
    await hr.goto(`${dash.url}/#/hr/manual`);
    await setLanguage(hr, 'en');
    await hr.locator('[data-testid=self-report-file]').waitFor();
    expect(await hr.locator('main h1').textContent()).toBe('Manual & self-reports');
    await chooseCsv(hr, good);
    await hr.locator('[data-testid=self-report-submit]').click();
    const ok = hr.locator('[data-testid=self-report-ok]');
    await ok.waitFor();
    expect(await ok.getAttribute('data-imported')).toBe('2');
    expect(await ok.textContent()).toBe('Imported 2 self-reported readings (2 lines in the file).');
    await shoot(hr, 'hr-manual.en');

    const row = await logRow(hr, 'E4', day(2));
    const cell = row.locator('td.entry[data-source=self-report]');
    await cell.waitFor();
    const text = await cell.textContent();
    expect(text).toContain('36.5 °C');
    expect(text).toContain('08:40');
    expect(text).toContain('self-reported');
    expect(text).toContain(`entered by ${USERS.hr.username}`);
    expect(await row.locator('td.status').getAttribute('class')).toContain('status-afternoon-missing');
    const e2 = await logRow(hr, 'E2', day(3));
    expect(await e2.locator('td.entry[data-source=self-report]').textContent()).toContain('36.7 °C');
  });
});

describe('a guard', () => {
  it('records a contact-thermometer reading at a gate from the board', async () => {
    const { page } = await tb.newPage('guard');
    await login(page, 'guard');
    await page.locator('main[data-page="/board"] .tile[data-gate=gate-a]').waitFor();
    const panel = page.locator('[data-testid=manual-panel]');
    await panel.locator('summary').click();
    const form = panel.locator('[data-testid=manual-form]');
    await form.locator('[data-testid=manual-employee]').fill('E1');
    await form.locator('[data-testid=manual-temp]').fill('37.1');
    await form.locator('[data-testid=manual-instrument]').selectOption('contact');
    await form.locator('[data-testid=manual-gate] option[value=gate-a]').waitFor({ state: 'attached' });
    await form.locator('[data-testid=manual-gate]').selectOption('gate-a');
    await form.locator('[data-testid=manual-submit]').click();
    const ok = form.locator('[data-testid=manual-ok]');
    await ok.waitFor();
    expect(await ok.textContent()).toContain('E1 37.1 °C');
    // A guard may not open HR's log, so no link to it on the board.
    expect(await ok.locator('a').count()).toBe(0);
    // The form is ready for the next person.
    expect(await form.locator('[data-testid=manual-employee]').inputValue()).toBe('');
    await page.context().close();

    // HR finds it in today's log, at the gate, entered by the guard.
    const row = await logRow(hr, 'E1', day(0));
    const cell = row.locator('td.entry[data-source=handheld]');
    await cell.waitFor();
    const text = await cell.textContent();
    expect(text).toContain('37.1 °C');
    expect(text).toContain('gate-a');
    expect(text).toContain(`entered by ${USERS.guard.username}`);
  });
});

describe('the browser', () => {
  it('logged no console error and no page error during the tests', () => {
    expect(tb.errors).toEqual([]);
  });
});
