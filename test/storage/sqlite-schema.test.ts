/**
 * The embedded store's schema 3 (issue 22): HR's log scans (a site's day, the month export) read
 * every column they need from one covering index, so 3.1 M readings are never looked up row by
 * row in the table. A gate's store of schema 2 is migrated when the sink opens it; a dashboard
 * upgraded first still reads schema 2.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { SqliteReadingStore } from '../../dashboard/store/sqlite-store.ts';
import { SqliteSink } from '../../edge/storage/sqlite-sink.ts';
import { record, shanghai } from './records.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempPath = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-schema-'));
  dirs.push(dir);
  return join(dir, 'readings.sqlite');
};

const readings = [
  record(1, { employeeNo: 'E1', at: shanghai('2024-03-05T08:01:00'), temperatureTenths: 365 }),
  record(2, { employeeNo: 'E2', at: shanghai('2024-03-05T08:02:00'), temperatureTenths: 372 }),
  record(3, { employeeNo: 'E1', at: shanghai('2024-03-05T13:30:00'), temperatureTenths: 366 }),
];
const DAY = { from: shanghai('2024-03-05T00:00:00'), to: shanghai('2024-03-06T00:00:00'), siteId: 'site-a' };

/** A store as a gate of the previous release left it: schema 2 and its index. */
async function schema2File(): Promise<string> {
  const path = tempPath();
  const sink = new SqliteSink({ path });
  await sink.write(readings);
  await sink.close();
  const db = new Database(path);
  db.exec(`DROP INDEX reading_period;
    CREATE INDEX reading_at ON reading (at, employee_no, temperature_tenths, seq, site_id, gate_id, decision);
    PRAGMA user_version = 2;`);
  db.close();
  return path;
}

const indexes = (path: string): string[] => {
  const db = new Database(path, { readonly: true });
  const names = db
    .prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'reading' AND sql IS NOT NULL",
    )
    .pluck()
    .all() as string[];
  db.close();
  return names.sort();
};

async function scanned(path: string): Promise<string[]> {
  const store = new SqliteReadingStore({ path });
  const ids: string[] = [];
  for await (const page of store.scanLogReadings(DAY)) ids.push(...page.map((r) => r.id));
  await store.close();
  return ids;
}

it("a site's log scan reads the covering index alone, never the table", async () => {
  const path = tempPath();
  const sink = new SqliteSink({ path });
  await sink.write(readings);
  await sink.close();
  const db = new Database(path, { readonly: true });
  // The columns and order of SqliteReadingStore.scanLogReadings (one page after the first).
  const plan = db
    .prepare(
      `EXPLAIN QUERY PLAN SELECT r.id, r.site_id, r.gate_id, r.seq, r.at, r.employee_no, r.temperature_tenths,
         r.source, r.entered_by, r.decision, r.mask FROM reading r
       WHERE r.at >= ? AND (r.at, r.site_id, r.gate_id, r.seq) > (?, ?, ?, ?) AND r.at < ? AND r.site_id = ?
         AND r.temperature_tenths IS NOT NULL AND r.employee_no <> ''
       ORDER BY r.at, r.site_id, r.gate_id, r.seq LIMIT ?`,
    )
    .all(0, 0, '', '', 0, 1, 'site-a', 10) as Array<{ detail: string }>;
  db.close();
  expect(plan.map((p) => p.detail).join('\n')).toContain('USING COVERING INDEX reading_period');
});

it('the sink migrates a schema-2 store: the new index replaces the old, every reading kept', async () => {
  const path = await schema2File();
  expect(indexes(path)).toContain('reading_at');
  const sink = new SqliteSink({ path });
  await sink.init();
  await sink.close();
  const db = new Database(path, { readonly: true });
  expect(db.pragma('user_version', { simple: true })).toBe(3);
  db.close();
  expect(indexes(path)).toEqual(['reading_employee_at', 'reading_gate_at', 'reading_period']);
  expect(await scanned(path)).toEqual([readings[0]?.id, readings[1]?.id, readings[2]?.id]);
});

it('a dashboard upgraded before its gate still reads the schema-2 store', async () => {
  const path = await schema2File();
  expect(await scanned(path)).toEqual([readings[0]?.id, readings[1]?.id, readings[2]?.id]);
  expect(indexes(path)).toContain('reading_at'); // the reader changed nothing
});

it('a store of a newer schema than this release knows is refused with TG_STORE_SCHEMA', async () => {
  const path = await schema2File();
  const db = new Database(path);
  db.pragma('user_version = 4');
  db.close();
  const store = new SqliteReadingStore({ path });
  await expect(store.decisionCounts({ from: 0, to: Date.now() })).rejects.toMatchObject({
    code: 'TG_STORE_SCHEMA',
  });
  await store.close();
});
