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
import { waitFor } from '../../harness/wait.ts';
import { GBK_ONE_VISITOR, GBK_ROSTER } from './gbk.ts';
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
    const readPage = () =>
      report.evaluate((el) => {
        const out: string[][] = [];
        const dl = el.querySelector('[data-testid=report-summary]');
        const dts = [...(dl?.querySelectorAll('dt') ?? [])];
        const dds = [...(dl?.querySelectorAll('dd') ?? [])];
        out.push(['项目', '数值']);
        dts.forEach((dt, i) => {
          out.push([dt.textContent ?? '', dds[i]?.textContent ?? '']);
        });
        for (const id of ['departments', 'missing', 'fevers', 'visitors']) {
          const tableEl = el.querySelector(`table[data-table=${id}]`);
          if (!tableEl) continue;
          for (const tr of tableEl.querySelectorAll('tr'))
            out.push([...tr.querySelectorAll('th,td')].map((c) => c.textContent ?? ''));
        }
        return out;
      });
    const download = async () => {
      const [d] = await Promise.all([
        page.waitForEvent('download'),
        page.locator('form.filters a[data-export=csv]').click(),
      ]);
      const { readFileSync } = await import('node:fs');
      return trimRows(parseCsv(readFileSync(await d.path()).toString('utf8')).map((r) => r.cells));
    };
    // The page was drawn a moment before the download: only the generation time may differ.
    const strip = (rows: string[][]) => rows.filter((r) => r[0] !== '生成时间');
    // A section the page leaves out when empty (no visitors) is a lone header row in the file.
    const isHeader = (r: string[] | undefined) => r?.[0] === '工号' || r?.[0] === '部门';
    const withoutEmptySections = (rows: string[][]) =>
      rows.filter((r, i) => !(isHeader(r) && (i + 1 === rows.length || isHeader(rows[i + 1]))));
    // Both are made at their request: readings still landing in the store between the two (the
    // gate's outbox) make them differ, so the page is read again until it has settled.
    let pageRows: string[][] = [];
    let fileRows: string[][] = [];
    await expect
      .poll(
        async () => {
          await page.reload();
          await report.locator('table[data-table=fevers]').waitFor();
          pageRows = trimRows(await readPage());
          fileRows = await download();
          // ... and until both readings are in the store (the gate's outbox forwards them), so the
          // comparison covers the screened people too, not only the episodes.
          const screened = Number(pageRows.find((r) => r[0] === '实检人数')?.[1] ?? 0);
          return (
            screened >= 2 &&
            JSON.stringify(withoutEmptySections(strip(fileRows))) === JSON.stringify(strip(pageRows))
          );
        },
        { timeout: 40_000 },
      )
      .toBe(true);
    expect(withoutEmptySections(strip(fileRows))).toEqual(strip(pageRows));
    const summary = new Map(fileRows.map((r) => [r[0], r[1]]));
    expect(summary.get('体温异常人数')).toBe('2');
    expect(summary.get('版本')).toBe('按请求时的数据即时生成');
    expect(summary.get('生成时间')).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(fileRows.some((r) => r[0] === person(2).employeeNo && r.includes('39.1'))).toBe(true);
    await shoot(page, 'hr-daily-report.zh-CN');
    await page.context().close();
  }, 60_000);
});

describe('the guard: a dead face terminal, focus while the board updates', () => {
  let guard: Page;

  it('sees gate-a down when its face terminal dies (last will), with the detail in Chinese', async () => {
    ({ page: guard } = await tb.newPage('guard'));
    await login(guard, 'guard');
    const tile = guard.locator('.tile[data-gate=gate-a]');
    await tile.waitFor();
    await expect.poll(() => tile.getAttribute('data-down')).toBe('false');
    expect(await tile.locator('[data-testid=gate-online]').textContent()).toBe('在线');

    await site.gateA.terminal.crash();
    await expect.poll(() => tile.getAttribute('data-down'), { timeout: 15_000 }).toBe('true');
    expect(await tile.locator('[data-testid=gate-online]').textContent()).toBe('故障');
    expect(await tile.locator('[data-problem=terminal-offline]').textContent()).toBe('人脸终端离线');
    // The hub's gate-offline alert names the terminal, said from its facts, not the hub's English.
    const card = guard.locator('li.alert[data-kind=gate-offline]');
    await card.waitFor({ timeout: 10_000 });
    expect(await card.locator('[data-testid=alert-detail]').textContent()).toBe(
      '人脸终端 T1 离线，该通道无法识别人员',
    );
    // Still down: it can be acknowledged, not cleared.
    expect(await card.locator('[data-action=clear]').count()).toBe(0);
    await shoot(guard, 'guard-board-terminal-down.zh-CN');

    await site.gateA.terminal.start();
    await site.gateA.terminal.waitOnline(10_000);
    await expect.poll(() => tile.getAttribute('data-down'), { timeout: 15_000 }).toBe('false');
    await expect
      .poll(() => card.locator('[data-testid=alert-detail]').textContent(), { timeout: 10_000 })
      .toContain('设备已恢复，待确认');
    await card.locator('[data-action=ack]').click();
    await card.waitFor({ state: 'detached', timeout: 10_000 });
  });

  it('keeps the focus and every keystroke of the open-once reason, Chinese IME included, while decisions arrive', async () => {
    const tile = guard.locator('.tile[data-gate=gate-a]');
    await tile.locator('[data-cmd=open-once]').click();
    const reason = tile.locator('[data-testid=cmd-reason]');
    await reason.waitFor();
    await expect.poll(() => reason.evaluate((el) => el === document.activeElement)).toBe(true);
    const passagesBefore = await tile.locator('[data-testid=last-passage]').textContent();

    // People pass gate-a while the guard types: the tile re-renders with every decision.
    let passing = true;
    let passed = 0;
    const people = (async () => {
      for (const [i, t] of [
        [1, 365],
        [3, 366],
        [1, 364],
        [3, 367],
      ] as const) {
        await passGateA(site.gateA, person(i), t);
        passed += 1;
      }
      passing = false;
    })();
    const cdp = await guard.context().newCDPSession(guard);
    // Key by key (digits and punctuation: what the guard types stays on the board, and the
    // i18n walk below would take Latin words there for English).
    const keys = '1-2-3 ';
    let expected = '';
    let round = 0;
    // Type until every passage has been decided (and at least two rounds), one piece at a time.
    while (passing || round < 2) {
      await guard.keyboard.type(keys, { delay: 30 });
      expected += keys;
      // What a pinyin IME does: a composition, then the committed characters.
      await cdp.send('Input.imeSetComposition', { text: 'songhuo', selectionStart: 7, selectionEnd: 7 });
      await cdp.send('Input.insertText', { text: '送货' });
      expected += '送货';
      round += 1;
      if (round > 40) throw new Error('the passages did not finish');
    }
    await people;
    expect(passed).toBe(4);
    await expect
      .poll(() => tile.locator('[data-testid=last-passage]').textContent())
      .not.toBe(passagesBefore);
    expect(await reason.inputValue()).toBe(expected);
    expect(await reason.evaluate((el) => el === document.activeElement)).toBe(true);
    await tile.locator('[data-testid=cmd-reason] ~ button[type=submit]').click();
    await expect
      .poll(() => tile.locator('[data-testid=cmd-state]').getAttribute('data-state'), { timeout: 10_000 })
      .toBe('acknowledged');
  });
});

describe('the admin: Excel’s GBK file, replace or merge, rooms', () => {
  it('imports the roster as Excel saves it (GBK, Chinese headers, 2026/1/5 dates)', async () => {
    const { page } = await tb.newPage('admin-import');
    await login(page, 'admin');
    await page.goto(`${dash.url}/#/admin/access`);
    const list = page.locator('[data-testid=access-list]');
    await list.locator('tr[data-employee=E1]').waitFor();
    await page.locator('[data-testid=csv-file]').setInputFiles({
      name: '通行名单.csv',
      mimeType: 'text/csv',
      buffer: GBK_ROSTER,
    });
    await page.locator('form.inline button[type=submit]').click();
    await page.locator('[data-testid=import-report] p.ok').waitFor();
    const e5 = list.locator('tr[data-employee=E5]');
    await e5.waitFor();
    expect(await e5.locator('td').allTextContents()).toEqual([
      'E5',
      '赵磊',
      '仓储部',
      '员工',
      '2026-01-05',
      '',
    ]);
    expect(await list.locator('tr[data-employee=V2] td').nth(3).textContent()).toBe('访客');
    expect(await list.locator('tbody tr').count()).toBe(6);

    // One visitor in a file: asked, not applied; merge keeps everybody and adds the visitor.
    await page.locator('[data-testid=csv-file]').setInputFiles({
      name: '访客.csv',
      mimeType: 'text/csv',
      buffer: GBK_ONE_VISITOR,
    });
    await tb.expectErrors([/status of 409/], async () => {
      await page.locator('form.inline button[type=submit]').click();
      await page.locator('[data-testid=import-choice]').waitFor();
    });
    expect(await page.locator('[data-testid=import-choice] p').textContent()).toContain(
      '文件只有 1 人，而当前通行名单有 6 人',
    );
    expect(await list.locator('tbody tr').count()).toBe(6);
    expect(site.hub.hub.accessList.current()?.entries.length).toBe(6);
    await shoot(page, 'admin-access-list-choice.zh-CN');
    await page.locator('[data-testid=import-choice] button[data-mode=merge]').click();
    await page.locator('[data-testid=import-report] p.ok').waitFor();
    await list.locator('tr[data-employee=V3]').waitFor();
    expect(await list.locator('tbody tr').count()).toBe(7);
    await waitFor(() => site.hub.hub.accessList.current()?.entries.length === 7, {
      what: 'the hub to hold the merged list',
    });
    await page.context().close();
  });

  it('refuses to overwrite a room with the same id from "add room", in Chinese', async () => {
    const { page } = await tb.newPage('admin-rooms');
    await login(page, 'admin');
    await page.goto(`${dash.url}/#/admin/rooms`);
    const form = page.locator('form.stack');
    await form.waitFor();
    await form.locator('input[name=id]').fill('A1');
    await form.locator('input[name=name]').fill('新隔离室');
    await tb.expectErrors([/status of 409/], async () => {
      await form.locator('button[type=submit]').click();
      await expect
        .poll(() => form.locator('p.error').textContent())
        .toBe('操作失败：已有相同编号的隔离室，未覆盖。如需修改，请在列表中点“编辑”。');
    });
    const res = await page.request.get(`${dash.url}/api/rooms`);
    expect((await res.json()).find((r: { id: string }) => r.id === 'A1')?.name).toBe('隔离室 A1');
    await page.context().close();
  });
});

/**
 * Latin-letter words a zh-CN page may show: ids and employee numbers of the fixture (gate-a, T1,
 * E1, V2, A1), names and a department of the fixture typed in Latin letters, file formats named
 * as such, and the language switch's own name. Anything else in Latin letters is English that
 * reached a Chinese page. Words are runs of two letters or more: "°C", "T1", "E10023" are no words.
 * Login names (the users page lists them) and device ids (the devices page) are ids too, and the
 * product's name is a name.
 */
const ALLOWED = [
  /^gate-[ab]$/,
  /^(admin1|guard1|hr1)$/,
  /^(dash|dash-ops|svc)$/,
  /^ThermoGate$/,
  /^(Anna|Schmidt|Engineering)$/,
  /^(CSV|Excel|UTF-8|GBK|GB18030|YYYY-MM-DD)$/,
  /^English$/,
];

/** The Latin words of a page's visible text (and placeholders, which are read too) not allowed. */
async function englishOn(page: Page): Promise<string[]> {
  const text = await page.evaluate(() => {
    // biome-ignore lint/performance/useDomNodeTextContent: what a person sees (hidden parts excluded) is the point
    const parts = [document.body.innerText];
    for (const el of document.querySelectorAll('input[placeholder], textarea[placeholder]'))
      parts.push((el as HTMLInputElement).placeholder);
    return parts.join('\n');
  });
  const words = text.match(/[A-Za-z][A-Za-z0-9_\-./]*/g) ?? [];
  return [...new Set(words.filter((w) => /[A-Za-z]{2}/.test(w) && !ALLOWED.some((re) => re.test(w))))];
}

/** Opens a page of the app and waits until it has drawn its data. */
async function open(page: Page, hash: string, ready: string): Promise<void> {
  await page.goto(`${dash.url}/#${hash}`);
  await page.locator(`main[data-page="${hash.split('?')[0]}"]`).waitFor();
  await page.locator(ready).first().waitFor({ timeout: 10_000 });
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText(), the text as shown
  await expect.poll(() => page.locator('main').innerText()).not.toContain('加载中');
}

describe('visitors at the gate house', () => {
  it('a guard registers a visitor, who passes the gate for that visit only; the exit ends it; HR exports the register', async () => {
    const { page: guard } = await tb.newPage('visitors');
    await login(guard, 'guard');
    await guard.locator('.tile[data-gate=gate-a]').waitFor();
    const panel = guard.locator('[data-testid=visitor-panel]');
    await panel.locator('summary').click();
    const fill = async (v: Record<string, string>) => {
      for (const [k, x] of Object.entries(v)) await panel.locator(`[data-testid=visitor-${k}]`).fill(x);
    };
    await fill({
      name: '周访客',
      phone: '13800138000',
      idNumber: '110105199001011234',
      company: '顺丰速运',
      host: '张伟',
      reason: '送样品',
      hours: '2',
      temperature: '36.4',
    });
    await panel.locator('[data-testid=visitor-submit]').click();
    const item = panel.locator('[data-testid=visitor-list] li.admitted');
    await item.waitFor({ timeout: 10_000 });
    const id = (await item.getAttribute('data-visitor')) as string;
    expect(id).toMatch(/^V\d{8}$/);
    expect(await item.locator('[data-testid=visitor-state]').textContent()).toMatch(
      /^已准入，至 \d{2}:\d{2}/,
    );
    await shoot(guard, 'guard-board-visitor.zh-CN');

    // The gates hold the entry: the visitor passes gate-a.
    const entry = () => site.hub.hub.accessList.current()?.entries.find((e) => e.employeeNo === id);
    expect(entry()).toMatchObject({ kind: 'visitor', name: '周访客', department: '顺丰速运' });
    const visitor = { employeeNo: id, name: '周访客' };
    await expect
      .poll(async () => (await passGateA(site.gateA, visitor, 365)).verdict?.checkResult, { timeout: 15_000 })
      .toBe('success');

    // A second visitor with a fever is refused and alerts the guard like a fever.
    await fill({
      name: '吴发热',
      phone: '13900139000',
      idNumber: '110105199202022345',
      host: '李娜',
      reason: '面试',
      temperature: '38.0',
    });
    await panel.locator('[data-testid=visitor-submit]').click();
    await panel.locator('[data-testid=visitor-list] li.refused').waitFor();
    await guard
      .locator('li.alert[data-kind=declared-symptom]', { hasText: '吴发热' })
      .waitFor({ timeout: 10_000 });

    // The exit ends the visit: the entry ends now (its name stays for HR's logs) and the gate turns the visitor away.
    await item.locator('[data-action=visitor-exit]').click();
    await expect
      .poll(() => item.locator('[data-testid=visitor-state]').textContent())
      .toMatch(/^已于 \d{2}:\d{2}/);
    expect(entry()?.validUntil).toBeLessThanOrEqual(Date.now());
    await expect
      .poll(async () => (await passGateA(site.gateA, visitor, 365)).verdict?.checkResult, { timeout: 15_000 })
      .toBe('failed');
    await guard.context().close();

    const { page: hr } = await tb.newPage('visitor-register');
    await login(hr, 'hr');
    await hr.goto(`${dash.url}/#/hr/report`);
    const [d] = await Promise.all([
      hr.waitForEvent('download'),
      hr.locator('[data-testid=visitor-register-export] a[data-export=csv]').click(),
    ]);
    const { readFileSync } = await import('node:fs');
    const rows = parseCsv(readFileSync(await d.path()).toString('utf8')).map((r) => r.cells);
    expect(rows[0]?.slice(0, 4)).toEqual(['登记号', '姓名', '联系电话', '身份证号（脱敏）']);
    const mine = rows.find((r) => r[0] === id) as string[];
    expect(mine.slice(1, 8)).toEqual([
      '周访客',
      '13800138000',
      '110105********1234',
      '顺丰速运',
      '张伟',
      '送样品',
      '绿码',
    ]);
    expect(mine[13]).toBe('是');
    expect(mine[12]).toMatch(/^\d{2}:\d{2}:\d{2}$/);
    // The full ID number is nowhere.
    expect(JSON.stringify(rows)).not.toContain('110105199001011234');
    expect(rows.find((r) => r[1] === '吴发热')?.[13]).toBe('否');
    await hr.context().close();
  }, 90_000);
});

describe('no English in the Chinese pages', () => {
  it('walks every page of every role in zh-CN, alerts, import errors and form errors included', async () => {
    const found: Record<string, string[]> = {};
    const check = async (page: Page, where: string) => {
      const words = await englishOn(page);
      if (words.length) found[where] = words;
    };

    // The guard's board with what a shift brings: fevers, held people, device alerts.
    const { page: guard } = await tb.newPage('i18n-guard');
    await login(guard, 'guard');
    await open(guard, '/board', '.tile[data-gate=gate-b]');
    await passGateA(site.gateA, person(3), 386);
    await guard.locator('li.alert[data-kind=fever]').first().waitFor({ timeout: 10_000 });
    // A command the gate refuses (open once while locked down): its result in Chinese too.
    const tileA = guard.locator('.tile[data-gate=gate-a]');
    const command = async (kind: string, reason: string, state: string) => {
      await tileA.locator(`[data-cmd=${kind}]`).click();
      await tileA.locator('[data-testid=cmd-reason]').fill(reason);
      await tileA.locator('form.inline button[type=submit]').click();
      await expect
        .poll(() => tileA.locator('[data-testid=cmd-state]').getAttribute('data-state'), { timeout: 10_000 })
        .toBe(state);
    };
    await command('lockdown', '演练', 'acknowledged');
    await command('open-once', '送货', 'failed');
    // The gate's refusal code says why: locked down (not the gate's English sentence).
    expect(await guard.locator('[data-testid=cmd-error]').first().textContent()).toContain('封锁状态');
    await check(guard, 'guard /board');
    await command('release-lockdown', '演练结束', 'acknowledged');
    // An open-once to an offline gate is refused in words, not a green "sent".
    await guard.evaluate(() => document.querySelector('.toasts')?.replaceChildren());
    await site.gateB.stop();
    const tileB = guard.locator('.tile[data-gate=gate-b]');
    await expect.poll(() => tileB.getAttribute('data-down'), { timeout: 15_000 }).toBe('true');
    await tileB.locator('[data-cmd=open-once]').click();
    await tileB.locator('[data-testid=cmd-reason]').fill('送货');
    await tb.expectErrors([/status of 409/], async () => {
      await tileB.locator('form.inline button[type=submit]').click();
      await guard.locator('.toast-error').waitFor();
    });
    expect(await guard.locator('.toast-error').last().textContent()).toBe(
      '操作失败：该闸机离线，指令无法送达，未发送。请到现场处理或待闸机恢复后再试。',
    );
    expect(await guard.locator('.toast-ok').count()).toBe(0);
    await check(guard, 'guard /board, gate-b offline');
    await guard.context().close();

    const { page: hr } = await tb.newPage('i18n-hr');
    await login(hr, 'hr');
    await open(hr, '/hr/person?no=E2', '[data-testid=person-log] table.log');
    await check(hr, 'hr /hr/person');
    // A name nobody has: 无此人, not two weeks of 缺测.
    await open(hr, '/hr/person?no=王五', '[data-testid=no-such-person]');
    expect(await hr.locator('[data-testid=no-such-person]').textContent()).toContain('无此人');
    expect(await hr.locator('td.gap').count()).toBe(0);
    await check(hr, 'hr /hr/person (nobody)');
    // A name on the list finds the person.
    await open(
      hr,
      `/hr/person?no=${encodeURIComponent(person(1).name)}`,
      '[data-testid=person-log] table.log',
    );
    expect(await hr.locator('[data-testid=person-log] h2').textContent()).toBe(`E2 ${person(1).name}`);
    await open(hr, '/hr/day', '[data-testid=site-day] tbody tr');
    await check(hr, 'hr /hr/day');
    await open(hr, '/hr/report', '[data-testid=report-summary]');
    await check(hr, 'hr /hr/report');
    // A past day without a case: a zero report of that day, not "今日".
    const yesterday = new Date(Date.now() + 8 * 3_600_000 - 86_400_000).toISOString().slice(0, 10);
    await open(hr, `/hr/report?date=${yesterday}`, '[data-testid=zero-report]');
    expect(await hr.locator('[data-testid=zero-report]').textContent()).toBe(
      `${yesterday} 无体温异常人员（零报告）。`,
    );
    await check(hr, 'hr /hr/report (a past day)');
    await open(hr, '/hr/manual', '[data-testid=self-report-file]');
    // A self-report file with problems: each said in Chinese.
    await hr.locator('[data-testid=self-report-file]').setInputFiles({
      name: 'x.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('工号,体温,测温时间\nE9,39,昨天\nE1,3.6,2024-03-05 08:00\n'),
    });
    await tb.expectErrors([/status of 400/], async () => {
      await hr.locator('[data-testid=self-report-submit]').click();
      await hr.locator('[data-testid=self-report-report] ul.line-errors li').first().waitFor();
    });
    await check(hr, 'hr /hr/manual, refused import');
    await open(hr, '/hr/holds', 'main h1');
    await check(hr, 'hr /hr/holds');
    // Absences and declarations, with one of each recorded through the page.
    await open(hr, '/hr/records', '[data-testid=absence-form]');
    await hr.locator('[data-testid=absence-employee]').fill('E2');
    await hr.locator('[data-testid=absence-reason]').selectOption('sick-leave');
    await hr.locator('[data-testid=absence-form] button[type=submit]').click();
    await hr.locator('[data-testid=absences] tr[data-employee=E2]').waitFor();
    await hr.locator('[data-testid=declaration-employee]').fill('E1');
    await hr.locator('[data-testid=declaration-form] input[data-symptom=cough]').check();
    await hr.locator('[data-testid=declaration-form] button[type=submit]').click();
    await hr.locator('[data-testid=declarations] tr[data-employee=E1]').waitFor();
    await check(hr, 'hr /hr/records');
    // On the site's day, E2 on sick leave says so instead of a status of checks.
    await open(hr, '/hr/day', '[data-testid=site-day] tbody tr');
    expect(await hr.locator('[data-testid=site-day] tr[data-employee=E2] td.status').textContent()).toBe(
      '病假',
    );
    await hr.context().close();

    const { page: admin } = await tb.newPage('i18n-admin');
    await login(admin, 'admin');
    for (const [hash, ready] of [
      ['/admin/policy', 'main form'],
      ['/admin/users', 'main table'],
      ['/admin/access', '[data-testid=access-list] tbody tr'],
      ['/admin/rooms', 'main table'],
      ['/admin/gates', 'main table'],
      ['/admin/devices', 'main table'],
      ['/hr/holds', 'main h1'],
    ] as const) {
      await open(admin, hash, ready);
      await check(admin, `admin ${hash}`);
    }
    // A user that exists: a sentence, never TG_DASH_USER_EXISTS.
    await open(admin, '/admin/users', 'main table');
    const userForm = admin.locator('form', { has: admin.locator('input[name=username]') }).last();
    await userForm.locator('input[name=username]').fill(USERS.guard.username);
    await userForm.locator('input[name=password]').fill('another-password-1');
    await tb.expectErrors([/status of 409/], async () => {
      await userForm.locator('button[type=submit]').click();
      await admin.locator('.toast-error').waitFor();
    });
    expect(await admin.locator('.toast-error').textContent()).toBe('操作失败：该用户名已存在，请换一个。');
    await check(admin, 'admin /admin/users, user exists');
    // An access-list file with problems.
    await open(admin, '/admin/access', '[data-testid=access-list] tbody tr');
    await admin.locator('[data-testid=csv-file]').setInputFiles({
      name: 'bad.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('工号,姓名,类型,生效时间\nE1,张伟,机器人,\nE2,李娜,员工,明天\n'),
    });
    await tb.expectErrors([/status of 400/], async () => {
      await admin.locator('form.inline button[type=submit]').click();
      await admin.locator('[data-testid=import-report] ul.line-errors li').first().waitFor();
    });
    expect(await admin.locator('[data-testid=import-report] ul.line-errors li').allTextContents()).toEqual([
      '第 2 行: 类型应为“员工”或“访客”，实际为“机器人”',
      '第 3 行: 生效时间不是有效日期（如 2026-03-05 或 2026/3/5 8:00）：“明天”',
    ]);
    await check(admin, 'admin /admin/access, refused import');
    await admin.context().close();

    expect(found).toEqual({});
  }, 120_000);
});

describe('a phone (390 px)', () => {
  it('shows the tiles one under the other and the HR day table with whole words', async () => {
    const ctx = await tb.browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    const page = await ctx.newPage();
    await login(page, 'guard');
    const tiles = page.locator('.tile');
    await tiles.first().waitFor();
    const boxes = await tiles.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON()));
    for (const b of boxes) expect(b.right).toBeLessThanOrEqual(390);
    // One per row: the second tile is below the first, not beside it.
    expect((boxes[1] as DOMRect).top).toBeGreaterThan((boxes[0] as DOMRect).bottom - 1);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await tb.screenshot(page, 'guard-board.phone.zh-CN').then((f) => shots.push(f));
    await page.context().clearCookies();
    await login(page, 'hr');
    await page.goto(`${dash.url}/#/hr/day`);
    const name = page.locator('[data-testid=site-day] tr[data-employee=E1] td').nth(1);
    await name.waitFor();
    // A name on one line: not one character per line.
    const h = await name.evaluate((el) => {
      const lh = Number.parseFloat(getComputedStyle(el).lineHeight) || 20;
      return el.getBoundingClientRect().height / lh;
    });
    expect(h).toBeLessThan(2.5);
    await tb.screenshot(page, 'hr-site-day.phone.zh-CN').then((f) => shots.push(f));
    await ctx.close();
  });
});

describe('the browser', () => {
  it('logged no console error and no page error during the tests', () => {
    expect(tb.errors).toEqual([]);
  });
});
