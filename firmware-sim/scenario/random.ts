/**
 * A random but reproducible scenario: N people with given rates of fever, unknown faces and
 * missing masks, arriving over the given lanes. The same seed always gives the same scenario.
 */
import { pick, randomInt, seededRandom } from '../rng.ts';
import { parseScenario } from './load.ts';
import type { PersonSpec, Scenario, ScenarioInput } from './schema.ts';

export interface RandomScenarioOptions {
  seed: number;
  people: number;
  /** Lanes as in a scenario file (endpoints included). */
  lanes: NonNullable<ScenarioInput['lanes']>;
  feverRate?: number;
  unknownRate?: number;
  noMaskRate?: number;
  /** Mean time between two arrivals, ms (default 1500). */
  meanGapMs?: number;
  timing?: ScenarioInput['timing'];
  site?: ScenarioInput['site'];
  broker?: ScenarioInput['broker'];
}

const NAMES = [
  '张伟',
  '王芳',
  '李娜',
  '刘洋',
  '陈静',
  'Anna Schmidt',
  'Ravi Kumar',
  'Maria Garcia',
  'Tom Lee',
  'Aiko Tanaka',
  'Omar Haddad',
  'Sofia Rossi',
];

export function generateScenario(o: RandomScenarioOptions): Scenario {
  const rnd = seededRandom(o.seed);
  const people: PersonSpec[] = [];
  const arrivals: { atMs: number; person: string; lane: string }[] = [];
  let t = 0;
  for (let i = 0; i < o.people; i++) {
    const fever = rnd() < (o.feverRate ?? 0.1);
    const unknown = rnd() < (o.unknownRate ?? 0.1);
    const noMask = rnd() < (o.noMaskRate ?? 0.1);
    const employeeNo = unknown ? `V${String(9000 + i)}` : `E${String(10000 + i)}`;
    people.push({
      employeeNo,
      name: unknown ? '' : pick(rnd, NAMES),
      temperatureTenths: fever ? randomInt(rnd, 375, 395) : randomInt(rnd, 360, 372),
      mask: noMask ? 'no' : 'yes',
      recognised: !unknown,
    });
    arrivals.push({ atMs: Math.round(t), person: employeeNo, lane: pick(rnd, o.lanes).id as string });
    t += (o.meanGapMs ?? 1500) * (0.5 + rnd());
  }
  const input: ScenarioInput = {
    name: `random seed ${o.seed}`,
    lanes: o.lanes,
    people,
    arrivals,
  };
  if (o.timing) input.timing = o.timing;
  if (o.site) input.site = o.site;
  if (o.broker) input.broker = o.broker;
  return parseScenario(input, `--random --seed ${o.seed}`);
}
