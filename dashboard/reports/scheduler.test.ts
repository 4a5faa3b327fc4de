import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../log.ts';
import { ReportStore } from './report-store.ts';
import { DailyScheduler, DEFAULT_REPORT_RETRY } from './scheduler.ts';

const local = (s: string) => Date.parse(`${s}+08:00`);

function scheduler(
  store: ReportStore,
  now: () => number,
  generate = async (day: string) => ({ date: day }) as never,
) {
  return new DailyScheduler({
    store,
    generate,
    now,
    timeZone: 'Asia/Shanghai',
    dailyAt: '18:00',
    webhooks: [],
    retentionDays: 30,
    fetch,
    retry: DEFAULT_REPORT_RETRY,
    log: silentLogger(),
  });
}

describe('which days are due', () => {
  it('a new dashboard starts with today, after dailyAt only', () => {
    const store = new ReportStore(new Database(':memory:'), 'site-a');
    expect(scheduler(store, Date.now).dueDays(local('2024-03-05T17:59:59.999'))).toEqual([]);
    expect(store.lastDay()).toBe('2024-03-04');
    expect(scheduler(store, Date.now).dueDays(local('2024-03-05T18:00:00'))).toEqual(['2024-03-05']);
  });

  it('catches up at most a week of missed days', () => {
    const store = new ReportStore(new Database(':memory:'), 'site-a');
    store.setLastDay('2024-02-01');
    expect(scheduler(store, Date.now).dueDays(local('2024-03-05T09:00:00'))).toEqual([
      '2024-02-27',
      '2024-02-28',
      '2024-02-29',
      '2024-03-01',
      '2024-03-02',
      '2024-03-03',
      '2024-03-04',
    ]);
  });

  it('a failed generation is retried a minute later, not on every tick', async () => {
    const store = new ReportStore(new Database(':memory:'), 'site-a');
    let now = local('2024-03-05T18:00:00');
    let calls = 0;
    const s = scheduler(
      store,
      () => now,
      async () => {
        calls += 1;
        throw new Error('TG_STORE_UNAVAILABLE: down');
      },
    );
    await s.tick();
    now += 30_000;
    await s.tick();
    expect(calls).toBe(1);
    now += 30_000;
    await s.tick();
    expect(calls).toBe(2);
    expect(store.get('2024-03-05')).toBeNull();
  });
});
