/** The whole write path into the embedded store, read back the way the dashboard reads it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteReadingStore } from '../../dashboard/store/sqlite-store.ts';
import { createRecorder } from '../../edge/storage/recorder.ts';
import { newReading } from './records.ts';

const ALL = { from: 0, to: Date.UTC(2100, 0, 1) };

describe('recorder → embedded store → dashboard', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tg-e2e-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('what record() returned is what the dashboard reads, while the gate keeps writing', async () => {
    const storePath = join(dir, 'readings.sqlite');
    const rec = createRecorder(
      {
        outboxPath: join(dir, 'outbox.sqlite'),
        sink: { kind: 'sqlite', path: storePath },
        forwarder: { lingerMs: 5 },
      },
      { logger: pino({ level: 'silent' }) },
    );
    const store = new SqliteReadingStore({ path: storePath });
    // A dashboard started before the gate's first forward sees an empty store (quietly: a newcomer's
    // first `npm start` must not log an error, issue #18), then the readings.
    expect(await store.decisionCounts(ALL)).toEqual([]);
    const written = [rec.record(newReading())];
    await rec.flush(10_000);
    expect(await store.decisionCounts(ALL)).toEqual([
      { siteId: 'site-a', gateId: 'gate-1', decision: 'pass', count: 1 },
    ]);
    for (let i = 0; i < 200; i++) {
      written.push(rec.record(newReading({ employeeNo: `E${i % 10}`, at: Date.UTC(2026, 2, 5, 1, 0, i) })));
      // The dashboard reads while the sink writes: WAL keeps them out of each other's way.
      if (i % 50 === 49) await store.decisionCounts(ALL);
    }
    await rec.flush(10_000);
    expect(await store.readingsByGate({ gateId: 'gate-1', ...ALL })).toEqual(written);
    expect(rec.stats()).toMatchObject({ depth: 0, forwarded: 201, lastError: null, sink: 'sqlite' });
    await store.close();
    await rec.close();
  });
});
