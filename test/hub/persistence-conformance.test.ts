/**
 * The hub's SQLite persistence against aedes-persistence's own conformance suite (the abstract
 * tests every aedes persistence must pass), run through a small node:test → vitest shim.
 */
import assert from 'node:assert';
import { createRequire } from 'node:module';
import { describe, it } from 'vitest';
import { SqlitePersistence } from '../../hub/broker/sqlite-persistence.ts';

const require = createRequire(import.meta.url);
// aedes-persistence is aedes's own dependency; its abstract suite is CommonJS.
const abstract = require('aedes-persistence/abstract.js') as (opts: Record<string, unknown>) => void;

type NodeTestFn = (t: {
  assert: typeof assert;
  plan(n: number): void;
  diagnostic(msg: string): void;
}) => Promise<void> | void;

describe('SqlitePersistence passes the aedes-persistence conformance suite', () => {
  abstract({
    test: (name: string, fn: NodeTestFn) =>
      it(name, async () => {
        await fn({ assert, plan: () => {}, diagnostic: () => {} });
      }),
    persistence: () => new SqlitePersistence({ path: ':memory:' }),
    testAsync: true,
  });
});
