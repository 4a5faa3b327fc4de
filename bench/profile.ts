/**
 * Summarises V8 CPU profiles (`node --cpu-prof`): the functions with the most samples of their
 * own, and the most inclusive ones (time spent in them and everything they called). Used to find
 * what limits a benchmark, e.g. `npx tsx bench/pipeline.ts --profile /tmp/prof` then
 * `npx tsx bench/profile.ts /tmp/prof/*.cpuprofile`.
 *
 *   npx tsx bench/profile.ts FILE.cpuprofile [...] [--top 30]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '30' } },
  allowPositionals: true,
});
if (positionals.length === 0) {
  process.stderr.write('usage: npx tsx bench/profile.ts FILE.cpuprofile [...] [--top 30]\n');
  process.exit(2);
}
const TOP = Number(values.top);
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
const name = (n: ProfileNode) =>
  `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(node_modules\/|main\/)?/, '')}:${n.callFrame.lineNumber + 1}`;
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);

for (const file of positionals) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const time = new Map<number, number>();
  p.samples.forEach((id, i) => {
    time.set(id, (time.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  for (const [id, t] of time) {
    total += t;
    add(self, name(byId.get(id) as ProfileNode), t);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = name(byId.get(cur) as ProfileNode);
      if (!seen.has(k)) add(inclusive, k, t);
      seen.add(k);
    }
  }
}
const show = (title: string, m: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, TOP))
    process.stdout.write(`${((v / total) * 100).toFixed(1).padStart(6)} %  ${k}\n`);
};
process.stdout.write(`${positionals.length} profile(s), ${(total / 1e6).toFixed(1)} s sampled\n`);
show('self time', self);
show('inclusive time', inclusive);
