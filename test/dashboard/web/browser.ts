/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser), with every console
 * error and uncaught page error collected so a test can assert there were none. Errors a test
 * provokes on purpose (a refused upload, a server that is down) are declared around that step
 * with `expectErrors`, matched by pattern, and only while the step runs.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = resolve(import.meta.dirname, '../../../test-results/screenshots');

export interface TestBrowser {
  browser: Browser;
  /** Unexpected errors so far: "[where] text". */
  errors: string[];
  /** Runs fn; console errors matching one of `patterns` meanwhile are expected, not collected. */
  expectErrors<T>(patterns: RegExp[], fn: () => Promise<T>): Promise<T>;
  /** A fresh context (its own cookies and localStorage) and a page that reports its errors. */
  newPage(label: string): Promise<{ context: BrowserContext; page: Page }>;
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  // launch() gives the browser a fresh temporary profile (user-data dir) and removes it at close.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-dev-shm-usage',
    ],
  });
  const errors: string[] = [];
  let expected: RegExp[] = [];
  const record = (where: string, text: string) => {
    if (!expected.some((p) => p.test(text))) errors.push(`[${where}] ${text}`);
  };
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    browser,
    errors,
    async expectErrors(patterns, fn) {
      const before = expected;
      expected = [...before, ...patterns];
      try {
        return await fn();
      } finally {
        expected = before;
      }
    },
    async newPage(label) {
      const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN' });
      const page = await context.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') record(`${label} console`, `${m.text()} ${m.location().url ?? ''}`.trim());
      });
      page.on('pageerror', (e) => record(`${label} pageerror`, e.message));
      return { context, page };
    },
    async screenshot(page, name) {
      const file = join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path: file });
      return file;
    },
    close: () => browser.close(),
  };
}
