/**
 * The hub's SQLite persistence against aedes-persistence's own conformance suite (the abstract
 * tests every aedes persistence must pass), run through a small node:test → vitest shim. The shim
 * keeps node:test's `plan(n)`: every assertion through `t.assert` is counted and a test whose count
 * differs from its plan fails, as it would under node:test (a callback that never ran, or ran twice,
 * is a failure, not a pass).
 */
import assert from 'node:assert';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { SqlitePersistence } from '../../hub/broker/sqlite-persistence.ts';

const require = createRequire(import.meta.url);
// aedes-persistence is aedes's own dependency; its abstract suite is CommonJS.
const abstract = require('aedes-persistence/abstract.js') as (opts: Record<string, unknown>) => void;

interface NodeTestContext {
  assert: typeof assert;
  plan(n: number): void;
  diagnostic(msg: string): void;
}
type NodeTestFn = (t: NodeTestContext) => Promise<void> | void;

/** node:test's context as far as the suite uses it: counting assertions against the plan. */
function planned(): { t: NodeTestContext; check(): void } {
  let plan: number | null = null;
  let count = 0;
  const counted = new Proxy(assert, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        count += 1;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return {
    t: {
      assert: counted,
      plan: (n) => {
        plan = n;
      },
      diagnostic: () => {},
    },
    check: () => {
      if (plan !== null) expect(count, 'assertions run against t.plan()').toBe(plan);
    },
  };
}

describe('SqlitePersistence passes the aedes-persistence conformance suite', () => {
  abstract({
    test: (name: string, fn: NodeTestFn) =>
      it(name, async () => {
        const { t, check } = planned();
        await fn(t);
        check();
      }),
    persistence: () => new SqlitePersistence({ path: ':memory:' }),
    testAsync: true,
  });
});

describe('the shim counts against the plan', () => {
  it('a test that runs fewer assertions than planned fails', () => {
    const { t, check } = planned();
    t.plan(2);
    t.assert.equal(1, 1);
    expect(check).toThrow(/assertions run against t.plan/);
    t.assert.deepEqual([1], [1]);
    expect(check).not.toThrow();
  });
});
