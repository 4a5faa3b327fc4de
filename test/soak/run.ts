/**
 * The soak: starts the site, lets people pass at every gate, injects the faults one after
 * another (each kind once per round, rounds in a seeded order) until the time is up and every
 * kind has run `minRounds` times, lets the site settle, then checks and reports.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../harness/wait.ts';
import { check, type Figures } from './check.ts';
import { BACKGROUND_NOISE, FAULT_KINDS, FAULTS, type FaultKind, type Injection } from './faults.ts';
import { toMarkdown } from './report.ts';
import { seeded, sleep } from './rng.ts';
import { GATES, Site } from './site.ts';

export interface SoakOptions {
  minutes: number;
  minRounds: number;
  seed: number;
  kinds?: readonly FaultKind[];
  /** Where figures.json, figures.md and the logs go. */
  outDir?: string;
  command?: string;
  log?: (line: string) => void;
  /** Pause between two faults (default 2500 ms). */
  settleMs?: number;
}

export async function runSoak(o: SoakOptions): Promise<{ figures: Figures; ok: boolean; dir: string }> {
  const log = o.log ?? (() => {});
  const kinds = o.kinds ?? FAULT_KINDS;
  const site = new Site({ seed: o.seed, ...(o.outDir ? { dir: join(o.outDir, 'site') } : {}) });
  const rng = seeded(o.seed ^ 0x5eed);
  const injections: Injection[] = [];
  let ok = false;
  try {
    log(`soak: starting the site in ${site.dir}`);
    await site.start();
    for (const lane of site.lanes.values()) if (lane.noise) lane.noise.rate = BACKGROUND_NOISE;
    const startedAt = Date.now();
    for (const lane of site.lanes.values()) lane.run();
    await sleep(3000);
    const deadline = startedAt + o.minutes * 60_000;
    for (let round = 1; round <= o.minRounds || Date.now() < deadline; round++) {
      const order = [...kinds].sort(() => rng() - 0.5);
      for (const kind of order) {
        const t0 = Date.now();
        const inj = await FAULTS[kind](site, round);
        injections.push({ kind, round, ...inj });
        log(
          `soak: round ${round} ${kind} on ${inj.gates.join(',')} (${Math.round((Date.now() - t0) / 100) / 10} s)`,
        );
        await sleep(o.settleMs ?? 2500);
      }
      if (round >= o.minRounds && Date.now() >= deadline) break;
    }
    // Let every gate show it still works, then stop the people and let the backlogs settle.
    await sleep(5000);
    for (const lane of site.lanes.values()) lane.pause(true);
    await sleep(4000);
    await waitFor(
      () =>
        [...site.lanes.values()].every((l) => l.terminal.pendingOfflineRecords().length === 0) &&
        GATES.every((g) => site.observer.heartbeat(g)?.outbox.depth === 0),
      { what: 'offline records acknowledged and every outbox empty', timeoutMs: 120_000, intervalMs: 500 },
    ).catch((e: Error) => log(`soak: ${e.message}`));
    const figures = await check(site, injections, startedAt);
    // The ground truth next to the logs, for reading a failure afterwards.
    writeFileSync(
      join(site.dir, 'passages.json'),
      JSON.stringify([...site.lanes.values()].flatMap((l) => l.passages)),
    );
    figures.durationS = Math.round((Date.now() - startedAt) / 1000);
    ok = figures.invariants.every((i) => i.ok);
    if (o.outDir) {
      mkdirSync(o.outDir, { recursive: true });
      writeFileSync(join(o.outDir, 'figures.json'), `${JSON.stringify(figures, null, 2)}\n`);
      writeFileSync(join(o.outDir, 'figures.md'), toMarkdown(figures, o.command ?? 'npm run soak'));
    }
    return { figures, ok, dir: site.dir };
  } finally {
    await site.stop({ keep: !ok || o.outDir !== undefined });
  }
}
