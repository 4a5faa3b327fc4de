import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/doubles/edge/fake-clock.ts';
import { DiskWatch } from './disk-space.ts';
import { DiskGauge, describeFill, diskLevelFor, type FillLevel, formatMB } from './fill-level.ts';

const MB = 1024 * 1024;
const reserve = 64 * MB;

describe('free-space levels', () => {
  it.each<[number, FillLevel]>([
    [10_000 * MB, 'ok'],
    [4 * reserve, 'ok'],
    [4 * reserve - 1, 'filling'],
    [2 * reserve, 'filling'],
    [2 * reserve - 1, 'high'],
    [reserve, 'high'],
    [reserve - 1, 'critical'],
    [0, 'critical'],
  ])('%d bytes free with a 64 MB reserve is %s', (free, level) => {
    expect(diskLevelFor(free, reserve)).toBe(level);
  });

  it('rises at once, steps down only a quarter reserve above the threshold, and skips levels both ways', () => {
    const g = new DiskGauge(reserve);
    expect(g.update(300 * MB)).toBe(false);
    expect(g.update(255 * MB)).toBe(true);
    expect(g.level).toBe('filling');
    // Hovering around 256 MB does not flap.
    expect(g.update(257 * MB)).toBe(false);
    expect(g.update(255 * MB)).toBe(false);
    expect(g.update(256 * MB + 16 * MB - 1)).toBe(false);
    expect(g.level).toBe('filling');
    expect(g.update(256 * MB + 16 * MB)).toBe(true);
    expect(g.level).toBe('ok');
    // A disk filled in one go goes straight to critical, and freed in one go straight back.
    expect(g.update(10 * MB)).toBe(true);
    expect(g.level).toBe('critical');
    expect(g.update(70 * MB)).toBe(false); // above 64 but not by 16 MB
    expect(g.update(100 * MB)).toBe(true);
    expect(g.level).toBe('high');
    expect(g.update(2000 * MB)).toBe(true);
    expect(g.level).toBe('ok');
  });

  it('formats megabytes for people', () => {
    expect(formatMB(0)).toBe('0.0 MB');
    expect(formatMB(3.56 * MB)).toBe('3.5 MB');
    expect(formatMB(255.9 * MB)).toBe('255 MB');
  });
});

describe('the alert text', () => {
  const base = {
    depth: 40,
    capacity: 1000,
    freeBytes: 3 * MB,
    reserveBytes: MB,
    spilled: 0,
    writeError: null,
  };
  it('says disk and free MB when free space raised it', () => {
    expect(describeFill({ ...base, level: 'filling', cause: 'disk' })).toBe(
      "gate disk nearly full (filling): 3.0 MB free on the outbox's filesystem (reserve 1.0 MB); free space on the gate's data disk; outbox 40 of 1000 readings",
    );
  });
  it('says readings are held in memory, and why, while spilled', () => {
    expect(
      describeFill({
        ...base,
        level: 'full',
        cause: 'spill',
        freeBytes: 0,
        spilled: 12,
        writeError: 'SQLITE_FULL',
      }),
    ).toBe(
      "gate disk full: the outbox cannot commit (SQLITE_FULL), 12 readings held in memory, not yet on disk; 0.0 MB free (reserve 1.0 MB); free space on the gate's data disk now",
    );
    expect(
      describeFill({ ...base, level: 'full', cause: 'spill', spilled: 2, writeError: 'TG_OUTBOX_FULL' }),
    ).toMatch(/^outbox 40 of 1000 readings, policy refuse: 2 readings held in memory/);
  });
  it('keeps the reading count for the readings-based levels', () => {
    expect(describeFill({ ...base, level: 'high', cause: 'readings' })).toBe('outbox 40 of 1000 readings');
  });
});

describe('DiskWatch', () => {
  it('reads statfs at most every N writes or every few seconds, not per reading', () => {
    const clock = new FakeClock();
    let calls = 0;
    let free = 1000 * MB;
    const w = new DiskWatch({
      path: '/data',
      reserveBytes: reserve,
      clock,
      everyRecords: 100,
      everyMs: 5000,
      statfs: () => {
        calls++;
        return { bavail: BigInt(free / 4096), bsize: 4096n };
      },
    });
    w.tick(); // first write: never read yet
    expect(calls).toBe(1);
    expect(w.freeBytes).toBe(1000 * MB);
    for (let i = 0; i < 99; i++) w.tick();
    expect(calls).toBe(1);
    free = 100 * MB;
    expect(w.tick()).toBe(true); // the 100th write since the read
    expect(calls).toBe(2);
    expect(w.level).toBe('high');
    clock.advance(5000);
    w.tick();
    expect(calls).toBe(3);
  });

  it('a failing statfs leaves the level as it was and reports the error code', () => {
    const clock = new FakeClock();
    let fail = false;
    const w = new DiskWatch({
      path: '/data',
      reserveBytes: reserve,
      clock,
      statfs: () => {
        if (fail) throw Object.assign(new Error('gone'), { code: 'ENOENT' });
        return { bavail: 10, bsize: 4096 };
      },
    });
    w.sample();
    expect(w.level).toBe('critical');
    fail = true;
    expect(w.sample()).toBe(false);
    expect(w.level).toBe('critical');
    expect(w.freeBytes).toBeNull();
    expect(w.error).toBe('ENOENT');
  });
});
