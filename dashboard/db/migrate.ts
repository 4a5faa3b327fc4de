/**
 * A tiny migration helper: each module owns its tables and a list of steps; the version reached
 * per module is kept in `schema_versions`. Steps are append-only: never edit a shipped step, add
 * the next one. Each step runs in a transaction with its version bump, so a crash never leaves a
 * half-applied step behind.
 */
import type { Db } from './open.ts';

export type MigrationStep = string | ((db: Db) => void);

export function migrate(db: Db, module: string, steps: readonly MigrationStep[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_versions (module TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  const row = db.prepare('SELECT version FROM schema_versions WHERE module = ?').get(module) as
    | { version: number }
    | undefined;
  const current = row?.version ?? 0;
  if (current > steps.length)
    throw new Error(
      `TG_DASH_DB_SCHEMA: ${module} tables are at version ${current}, this release knows ${steps.length}: refusing to run an older release on a newer database`,
    );
  for (let v = current; v < steps.length; v++) {
    const step = steps[v] as MigrationStep;
    db.transaction(() => {
      if (typeof step === 'string') db.exec(step);
      else step(db);
      db.prepare(
        'INSERT INTO schema_versions (module, version) VALUES (?, ?) ON CONFLICT(module) DO UPDATE SET version = excluded.version',
      ).run(module, v + 1);
    })();
  }
}
