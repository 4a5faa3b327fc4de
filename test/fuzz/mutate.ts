/** Structure-aware mutation of a JSON value: the shape a misbehaving firmware actually sends. */
import fc from 'fast-check';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = Array<string | number>;

function paths(v: Json, at: Path = []): Path[] {
  const out: Path[] = [at];
  if (Array.isArray(v))
    v.forEach((x, i) => {
      out.push(...paths(x, [...at, i]));
    });
  else if (v !== null && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

export type Mutation =
  | { op: 'replace'; pick: number; value: Json }
  | { op: 'delete'; pick: number }
  | { op: 'add'; pick: number; key: string; value: Json };

const edgeNumbers = fc.constantFrom(
  0,
  -0,
  -1,
  0.5,
  1e21,
  -1e21,
  1.7976931348623157e308,
  -1.7976931348623157e308,
  5e-324,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 31),
  373,
  372.99999,
  37.3,
  99.9,
  1e300,
);
const edgeStrings = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  'online',
  '../../etc/passwd',
  '+',
  '#',
  'tg/+/gate/#',
  '2026-11-29T08:01:02+08:00',
  '0000-01-01T00:00:00Z',
  '1969-12-31T23:59:59.999Z',
  '9999-12-31T23:59:59.999Z',
  '𝒳'.repeat(40),
  'x'.repeat(70),
  '\ud800',
);
export const jsonish: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  edgeNumbers,
  edgeStrings,
);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('replace' as const), pick: fc.nat(), value: jsonish }),
  fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({
    op: fc.constant('add' as const),
    pick: fc.nat(),
    key: fc.string({ maxLength: 8 }),
    value: jsonish,
  }),
);

/** Applies mutations in turn to a deep copy of `v`. */
export function mutate(v: unknown, ms: readonly Mutation[]): Json {
  let root = structuredClone(v) as Json;
  for (const m of ms) {
    const all = paths(root);
    const path = all[m.pick % all.length] as Path;
    if (path.length === 0) {
      if (m.op === 'replace') root = m.value;
      else if (m.op === 'add' && root !== null && typeof root === 'object' && !Array.isArray(root))
        root[m.key] = m.value;
      continue;
    }
    const parent = path.slice(0, -1).reduce<Json>((n, k) => (n as Record<string, Json>)[k] as Json, root) as
      | Json[]
      | Record<string, Json>;
    const key = path[path.length - 1] as string | number;
    if (m.op === 'replace') (parent as Record<string, Json>)[key] = m.value;
    else if (m.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
    } else {
      const target = (parent as Record<string, Json>)[key] as Json;
      if (target !== null && typeof target === 'object' && !Array.isArray(target)) target[m.key] = m.value;
      else (parent as Record<string, Json>)[key] = [target, m.value];
    }
  }
  return root;
}
