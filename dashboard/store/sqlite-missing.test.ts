/**
 * The embedded store before the first gate wrote to it: no readings (an empty answer, quietly),
 * not an error — a fresh demo's report scheduler asked then and logged at level 50 (issue #18).
 * A folder that is not there is still an error: that is a wrong path or a missing volume.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { SqliteReadingStore } from './sqlite-store.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

it('a store file not created yet answers as an empty store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-store-'));
  dirs.push(dir);
  const store = new SqliteReadingStore({ path: join(dir, 'site.sqlite') });
  expect(await store.decisionCounts({ from: 0, to: Date.now() })).toEqual([]);
  expect(await store.readingsByPerson({ employeeNo: 'E1', from: 0, to: Date.now() })).toEqual([]);
  await store.close();
});

it('a folder that does not exist is still an error', async () => {
  const store = new SqliteReadingStore({ path: '/nonexistent-tg/site.sqlite' });
  await expect(store.decisionCounts({ from: 0, to: Date.now() })).rejects.toMatchObject({
    code: 'TG_STORE_UNAVAILABLE',
  });
  await store.close();
});
