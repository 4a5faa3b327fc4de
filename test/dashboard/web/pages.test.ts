/**
 * The dashboard's pages in a real browser (Debian's Chromium) against the real site: hub, two
 * edges, simulated devices, the dashboard server. A guard works a fever episode from the alarm to
 * the closed episode; HR finds the reading in the employee's log; roles hold; the board heals
 * after the server goes away. Screenshots of the guard's board, the HR log and the admin access
 * list, in both languages, go to test-results/screenshots/ (printed at the end).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../harness/wait.ts';
import { launchBrowser, SCREENSHOTS, type TestBrowser } from './browser.ts';
import { type RunningDashboard, startSiteDashboard, USERS } from './dashboard.ts';
import { passGateA, PEOPLE, type SiteParts, startSiteParts } from './site.ts';

const E2 = PEOPLE[1] as (typeof PEOPLE)[number];
let site: SiteParts;
let dash: RunningDashboard;
let tb: TestBrowser;
let guard: Page;
const shots: string[] = [];

async function login(page: Page, role: keyof typeof USERS): Promise<void> {
  await page.goto(dash.url);
  await page.locator('input[name=username]').fill(USERS[role].username);
  await page.locator('input[name=password]').fill(USERS[role].password);
  await page.locator('form.login button[type=submit]').click();
  await page.locator('header.top .who').waitFor();
}

/** Switches the language with the header button and waits until the page shows it. */
async function setLanguage(page: Page, lang: 'zh' | 'en'): Promise<void> {
  const want = lang === 'zh' ? 'zh-CN' : 'en';
  if ((await page.locator('html').getAttribute('lang')) !== want)
    await page.locator('[data-testid=lang]').click();
  await page.waitForFunction((l) => document.documentElement.lang === l, want);
}

async function shoot(page: Page, name: string): Promise<void> {
  // Toasts are transient; keep them out of the pictures.
  await page.evaluate(() => document.querySelector('.toasts')?.replaceChildren());
  shots.push(await tb.screenshot(page, name));
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

describe('the guard', () => {
  it('logs in to the board in Chinese, sees no HR or admin navigation, and is refused HR pages', async () => {
    ({ page: guard } = await tb.newPage('guard'));
    await login(guard, 'guard');
    expect(await guard.locator('html').getAttribute('lang')).toBe('zh-CN');
    await guard.locator('main[data-page="/board"]').waitFor();
    await guard.locator('.tile[data-gate=gate-a]').waitFor();
    await guard.locator('.tile[data-gate=gate-b]').waitFor();
    expect(
      await guard.locator('header nav a').evaluateAll((as) => as.map((a) => a.getAttribute('data-nav'))),
    ).toEqual(['/board']);
    await expect
      .poll(() => guard.locator('[data-testid=feed-status]').getAttribute('data-state'))
      .toBe('open');

    await guard.goto(`${dash.url}/#/hr/person?no=E2`);
    await guard.locator('[data-testid=forbidden]').waitFor();
    expect(await guard.locator('[data-testid=forbidden] h1').textContent()).toBe('无权访问');
    await guard.goto(`${dash.url}/#/admin/access`);
    await guard.locator('[data-testid=forbidden]').waitFor();
    await guard.goto(`${dash.url}/#/board`);
    await guard.locator('.tile[data-gate=gate-a]').waitFor();
  });

  it('sees a fever at gate-a arrive without reloading: alert, room, flashing banner and sound', async () => {
    const before = await guard.evaluate(() => performance.getEntriesByType('navigation').length);
    const r = await passGateA(site.gateA, E2, 381);
    expect(r.verdict?.checkResult).toBe('failed');
    const card = guard.locator('li.alert[data-kind=fever]', { hasText: E2.employeeNo });
    await card.waitFor({ timeout: 10_000 });
    await expect
      .poll(() => card.locator('[data-testid=alert-person]').textContent())
      .toBe(`${E2.employeeNo} ${E2.name}`);
    expect(await card.textContent()).toContain('38.1 °C');
    await card.locator('[data-testid=alert-room]').waitFor();
    const banner = guard.locator('[data-testid=alarm-banner]');
    await banner.waitFor();
    expect(await banner.getAttribute('class')).toContain('flashing');
    expect(await banner.textContent()).toContain(E2.name);
    await expect.poll(() => guard.locator('main').getAttribute('data-alarm')).toBe('on');
    // The tile shows the passage and today's flag.
    const tile = guard.locator('.tile[data-gate=gate-a]');
    await expect.poll(() => tile.locator('[data-testid=last-passage]').textContent()).toContain('38.1 °C');
    await expect.poll(() => tile.locator('[data-testid=flagged-today]').textContent()).toBe('1');
    // The room it was sent to is occupied on the board.
    const room = guard.locator('ul.rooms li.room', { hasText: E2.name });
    await room.waitFor();
    expect(await guard.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(before);

    await shoot(guard, 'guard-board.zh-CN');
    await setLanguage(guard, 'en');
    await guard.locator('li.alert[data-kind=fever]').first().waitFor();
    await guard.locator('[data-testid=alarm-banner].flashing').waitFor();
    await shoot(guard, 'guard-board.en');

    await guard.locator('[data-testid=silence]').click();
    await expect.poll(() => guard.locator('main').getAttribute('data-alarm')).toBe('off');
    expect(await banner.getAttribute('class')).not.toContain('flashing');
  });

  it('works the episode to the end through the page: acknowledge, arrival, re-check, close; the room frees', async () => {
    const card = guard.locator('li.alert[data-kind=fever]', { hasText: E2.employeeNo });
    const roomId = await guard.locator('ul.rooms li.room', { hasText: E2.name }).getAttribute('data-room');
    expect(roomId).toBeTruthy();

    await card.locator('[data-action=ack]').click();
    await expect.poll(() => card.getAttribute('data-state')).toBe('active-acknowledged');
    await card.locator('[data-action=arrival]').click();
    await expect.poll(() => card.getAttribute('data-stage')).toBe('arrived');

    // A typo is caught in the page, before anything is sent.
    await card.locator('[data-testid=recheck-temp]').fill('3.70');
    await card.locator('[data-action=recheck]').click();
    await expect.poll(() => card.locator('form.recheck .error').textContent()).not.toBe('');
    await card.locator('[data-testid=recheck-temp]').fill('37.0');
    await card.locator('select[name=instrument]').selectOption('handheld');
    await card.locator('[data-action=recheck]').click();
    await expect.poll(() => card.getAttribute('data-stage')).toBe('rechecked');

    await card.locator('[data-testid=close-disposition]').selectOption('cleared-to-enter');
    await card.locator('input[name=note]').fill('re-check normal');
    await card.locator('[data-action=close]').click();
    await card.waitFor({ state: 'detached' });
    await guard.locator(`ul.rooms li.room[data-room="${roomId}"]`, { hasNotText: E2.name }).waitFor();
    const room = guard.locator(`ul.rooms li.room[data-room="${roomId}"]`);
    expect(await room.getAttribute('class')).toContain('has-space');
    expect(await guard.locator('[data-testid=alarm-banner]').isHidden()).toBe(true);
  });

  it('sends a gate command and sees it acknowledged by the gate', async () => {
    const tile = guard.locator('.tile[data-gate=gate-a]');
    await tile.locator('[data-cmd=open-once]').click();
    await tile.locator('[data-testid=cmd-reason]').fill('delivery at the east door');
    await tile.locator('form.inline button[type=submit]').click();
    await expect
      .poll(() => tile.locator('[data-testid=cmd-state]').getAttribute('data-state'), { timeout: 10_000 })
      .toBe('acknowledged');
  });
});

describe('HR', () => {
  it('sees the fever reading and the handheld re-check in the employee’s log, with the chart', async () => {
    const { page } = await tb.newPage('hr');
    await login(page, 'hr');
    await page.locator('main[data-page="/hr/person"]').waitFor();
    const navs = await page
      .locator('header nav a')
      .evaluateAll((as) => as.map((a) => a.getAttribute('data-nav')));
    expect(navs).not.toContain('/board');
    expect(navs.every((n) => n?.startsWith('/hr/'))).toBe(true);

    await page.locator('[data-testid=employee-no]').fill(E2.employeeNo);
    await page.locator('form.filters button[type=submit]').click();
    const log = page.locator('[data-testid=person-log]');
    await log.locator('table.log tbody tr').first().waitFor();
    await expect.poll(() => log.textContent()).toContain('38.1 °C');
    expect(await log.textContent()).toContain(E2.name);
    await log.locator('.uplot').waitFor();
    // Both halves of the day are shown; the half without a reading is marked missing.
    const today = log.locator('table.log tbody tr').first();
    expect(await today.locator('td').count()).toBe(5);
    expect(await today.locator('td.gap').count()).toBe(1);
    // Export links are there for the same employee and period.
    expect(await log.locator('a[data-export=csv]').getAttribute('href')).toMatch(
      /^\/api\/exports\/person\/E2\.csv\?from=/,
    );

    await shoot(page, 'hr-log.zh-CN');
    await setLanguage(page, 'en');
    await log.locator('.uplot').waitFor();
    await shoot(page, 'hr-log.en');
    // The choice is kept.
    await page.reload();
    await page.locator('[data-testid=person-log] .uplot').waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');

    // The whole site's day: everybody on the roster, today's fever among them.
    await page.goto(`${dash.url}/#/hr/day`);
    const day = page.locator('[data-testid=site-day]');
    await day.locator('tr[data-employee=E1]').waitFor();
    expect(await day.locator('tbody tr').count()).toBe(PEOPLE.length);
    expect(await day.locator('tr[data-employee=E2] td.status-fever').count()).toBe(1);
    await shoot(page, 'hr-site-day.en');
    // Only the fevers: the server answers the filtered page (the day is read a page at a time).
    await page.locator('form.filters select[name=status]').selectOption('fever');
    await day.locator('tbody tr:only-child[data-employee=E2]').waitFor();
    await page.locator('form.filters select[name=status]').selectOption('');
    await day.locator('tr[data-employee=E1]').waitFor();
    expect(await day.locator('tbody tr').count()).toBe(PEOPLE.length);
    // The daily report lists the fever with how the guard closed it.
    await page.goto(`${dash.url}/#/hr/report`);
    const report = page.locator('[data-testid=daily-report]');
    await report.locator('table.log').first().waitFor();
    const fever = report.locator('tr', { hasText: E2.name }).first();
    expect(await fever.textContent()).toContain('cleared, may enter');
    await shoot(page, 'hr-daily-report.en');

    // HR may not open the admin pages.
    await page.goto(`${dash.url}/#/admin/users`);
    await page.locator('[data-testid=forbidden]').waitFor();
    await page.context().close();
  });
});

describe('the admin', () => {
  it('sees the access list and imports a CSV; a bad file shows its errors per line', async () => {
    const { page } = await tb.newPage('admin');
    await login(page, 'admin');
    await page.goto(`${dash.url}/#/admin/access`);
    const list = page.locator('[data-testid=access-list]');
    await list.locator('tr[data-employee=E1]').waitFor();
    expect(await list.locator('tbody tr').count()).toBe(PEOPLE.length);

    await page.locator('[data-testid=csv-file]').setInputFiles({
      name: 'list.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        `employeeNo,name,department,kind,validFrom,validUntil\nE1,张伟,质检部,employee,,\nE2,李娜,质检部,robot,,\nE3,Anna,Eng,employee,yesterday,\n`,
      ),
    });
    await tb.expectErrors([/status of 400/], async () => {
      await page.locator('form.inline button[type=submit]').click();
      await page.locator('[data-testid=import-report] ul.line-errors li').first().waitFor();
    });
    const lines = await page.locator('[data-testid=import-report] ul.line-errors li').allTextContents();
    expect(lines.some((l) => l.includes('3'))).toBe(true);
    expect(lines.some((l) => l.includes('4'))).toBe(true);
    expect(await list.locator('tbody tr').count()).toBe(PEOPLE.length);

    await page.locator('[data-testid=csv-file]').setInputFiles({
      name: 'list.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        `employeeNo,name,department,kind,validFrom,validUntil\n${PEOPLE.map((p) => `${p.employeeNo},${p.name},${p.department},employee,,`).join('\n')}\nV1,王芳,访客,visitor,2026-01-01,2099-12-31\n`,
      ),
    });
    await page.locator('form.inline button[type=submit]').click();
    await page.locator('[data-testid=import-report] p.ok').waitFor();
    await list.locator('tr[data-employee=V1]').waitFor();

    await shoot(page, 'admin-access-list.zh-CN');
    await setLanguage(page, 'en');
    await list.locator('tr[data-employee=V1]').waitFor();
    await shoot(page, 'admin-access-list.en');
    await page.context().close();
  });
});

describe('the board after the network drops', () => {
  it('shows "reconnecting" while the server is away, then heals by itself and misses no alert', async () => {
    // While the server is down the browser logs its failed reconnection attempts: expected here.
    await tb.expectErrors(
      [/ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ERR_CONNECTION_RESET|status of 50[23]/],
      async () => {
        await dash.stop();
        await expect
          .poll(() => guard.locator('[data-testid=feed-status]').getAttribute('data-state'), {
            timeout: 10_000,
          })
          .toBe('reconnecting');
        await dash.restart();
        await expect
          .poll(() => guard.locator('[data-testid=feed-status]').getAttribute('data-state'), {
            timeout: 20_000,
          })
          .toBe('open');
      },
    );
    // A fever after the break reaches the same page, still without a reload.
    const E4 = PEOPLE[3] as (typeof PEOPLE)[number];
    await passGateA(site.gateA, E4, 392);
    await guard.locator('li.alert[data-kind=fever]', { hasText: E4.employeeNo }).waitFor({ timeout: 10_000 });
    await waitFor(() => guard.locator('[data-testid=alarm-banner].flashing').isVisible(), {
      what: 'alarm again',
    });
  });
});

describe('the browser', () => {
  it('logged no console error and no page error during the tests', () => {
    expect(tb.errors).toEqual([]);
  });
});
