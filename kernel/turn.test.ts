import { describe, expect, it } from 'vitest';
import { OncePerTurn } from './turn.ts';

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

describe('OncePerTurn', () => {
  it('runs once at the end of a turn that asked many times, and again for a later turn', async () => {
    let runs = 0;
    const t = new OncePerTurn(() => runs++);
    for (let i = 0; i < 50; i++) t.request();
    expect(runs).toBe(0);
    expect(t.pending).toBe(true);
    await nextTurn();
    expect(runs).toBe(1);
    expect(t.pending).toBe(false);
    t.request();
    await nextTurn();
    expect(runs).toBe(2);
  });

  it('flush runs waiting work now, once; the scheduled run then does nothing', async () => {
    let runs = 0;
    const t = new OncePerTurn(() => runs++);
    t.flush();
    expect(runs).toBe(0); // nothing was asked for
    t.request();
    t.flush();
    expect(runs).toBe(1);
    await nextTurn();
    expect(runs).toBe(1);
  });

  it('now runs unasked and answers a request of the same turn', async () => {
    let runs = 0;
    const t = new OncePerTurn(() => runs++);
    t.now();
    expect(runs).toBe(1);
    t.request();
    t.now();
    expect(runs).toBe(2);
    await nextTurn();
    expect(runs).toBe(2);
  });

  it('work that asks again while it runs is scheduled for the next turn, not lost', async () => {
    let runs = 0;
    const t: OncePerTurn = new OncePerTurn(() => {
      runs++;
      if (runs === 1) t.request();
    });
    t.request();
    await nextTurn();
    expect(runs).toBe(1);
    expect(t.pending).toBe(true);
    await nextTurn();
    expect(runs).toBe(2);
  });
});
