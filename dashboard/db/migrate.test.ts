/** Migration steps run once each, in order; a newer database is refused by an older release. */
import { describe, expect, it } from 'vitest';
import { migrate } from './migrate.ts';
import { openMemoryDatabase } from './open.ts';

describe('migrate', () => {
  it('applies only the steps not applied yet', () => {
    const db = openMemoryDatabase();
    migrate(db, 'm', ['CREATE TABLE a (x)']);
    migrate(db, 'm', ['CREATE TABLE a (x)', (d) => d.exec('CREATE TABLE b (y)')]);
    migrate(db, 'm', ['CREATE TABLE a (x)', (d) => d.exec('CREATE TABLE b (y)')]);
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{
        name: string;
      }>
    ).map((r) => r.name);
    expect(tables).toEqual(['a', 'b', 'schema_versions']);
  });

  it('a failing step leaves nothing behind', () => {
    const db = openMemoryDatabase();
    expect(() => migrate(db, 'm', ['CREATE TABLE a (x); CREATE TABLE a (x)'])).toThrow();
    expect(db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'a'").get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT * FROM schema_versions').all()).toEqual([]);
  });

  it('refuses a database migrated by a newer release', () => {
    const db = openMemoryDatabase();
    migrate(db, 'm', ['CREATE TABLE a (x)', 'CREATE TABLE b (x)']);
    expect(() => migrate(db, 'm', ['CREATE TABLE a (x)'])).toThrow(/TG_DASH_DB_SCHEMA/);
  });
});
