/**
 * The short form of the site soak, in the normal test run: the whole site (hub and three gates as
 * processes, two InfluxDBs, simulators on a pty, TCP and MQTT) with people passing, and one
 * injection of each of the faults that cost the least time: an edge SIGKILLed, the hub SIGKILLed,
 * InfluxDB restarted, a stuck thermometer, abusive MQTT clients, gate-3's clock stepped.
 * `npm run soak -- --minutes 10` runs all twelve kinds, repeatedly.
 *
 * Two open issues (docs/RELIABILITY.md, "Open findings") are bounded here instead of required to
 * be zero: right after an edge restart a reading may carry the previous person's temperature (not
 * released: the wrong-release invariant stays strict), and a QoS 1 alert published in the very
 * millisecond the hub is SIGKILLed may be lost (the reading itself is not).
 */
import { expect, it } from 'vitest';
import { runSoak } from './run.ts';

const BOUNDED = [
  'no temperature paired with the wrong person',
  'every fever alert and every fault alert was raised',
];

it('a site under faults: readings exactly once, no wrong release, alerts raised, every gate recovers', async () => {
  const { figures } = await runSoak({
    minutes: 0,
    minRounds: 1,
    seed: 11,
    settleMs: 1500,
    kinds: ['edge-kill', 'hub-kill', 'influx-restart', 'stuck-reading', 'mqtt-abuse', 'clock-step'],
  });
  expect(figures.passages.total).toBeGreaterThan(50);
  expect(figures.injections.map((i) => i.kind).sort()).toEqual([
    'clock-step',
    'edge-kill',
    'hub-kill',
    'influx-restart',
    'mqtt-abuse',
    'stuck-reading',
  ]);
  for (const i of figures.invariants)
    if (!BOUNDED.includes(i.name)) expect.soft(i.ok, `${i.name}: ${i.detail}`).toBe(true);
  expect.soft(figures.crossPaired, 'readings with another person’s temperature').toBeLessThanOrEqual(1);
  for (const a of figures.alerts)
    if (a.kind === 'fever' || a.kind.endsWith('(per injection)'))
      expect.soft(a.raised, `${a.kind} alerts`).toBeGreaterThanOrEqual(a.expected - 1);
  expect(figures.wrongReleases.total, figures.wrongReleases.examples.join('\n')).toBe(0);
}, 240_000);
