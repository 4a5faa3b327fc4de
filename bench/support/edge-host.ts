/**
 * Several gates in one process, for load benchmarks with a hundred gates on a two-core machine:
 * each gate is a full startEdge() (its own MQTT connection, outbox, thermometer driver, GPIO), as
 * in `npm run edge`, only sharing the Node process. Prints `ready N` once every gate has started;
 * SIGTERM stops them all. The event loop's delay is watched, because a gate's blocking outbox
 * commit delays the other gates of the same process (never the case with one gate per process):
 * SIGHUP resets the histogram, SIGUSR2 prints `loop p99 MS max MS every MS` (the delay beyond the sampling interval, and that interval) (SIGUSR1 belongs to Node's inspector).
 *
 * With TG_BENCH_TRACE=1 the suspects' durations are timed from SIGHUP to SIGUSR2 and printed as
 * `trace …` lines; with TG_BENCH_PROFILE_DIR a CPU profile of that window is written there
 * (bench/support/edge-trace.ts).
 *
 *   node --import tsx bench/support/edge-host.ts CONFIG.json [CONFIG.json...]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadEdgeConfig } from '../../edge/config/load.ts';
import { type RunningEdge, startEdge } from '../../edge/daemon.ts';
import { installTrace, resetTrace, startProfile, stopProfile, traceReport } from './edge-trace.ts';

const TRACE = process.env.TG_BENCH_TRACE === '1';
const PROFILE_DIR = process.env.TG_BENCH_PROFILE_DIR;
if (TRACE) installTrace();
// The sampling timer is itself work in every process: at 5 ms it cost 0.7 % of a core per
// process (20 processes: 14 %, taken from the gates it measures); at 20 ms 0.2 %. A stall still
// delays the next sample by its full length, so max and the tail are measured as before.
const RESOLUTION_MS = 20;
const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
loop.enable();
const delay = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS).toFixed(1);
process.on('SIGHUP', () => {
  loop.reset();
  if (TRACE) resetTrace();
  if (PROFILE_DIR) void startProfile();
});
process.on('SIGUSR2', () => {
  process.stdout.write(
    // The histogram holds the intervals between samples: the delay is what exceeds the resolution.
    `loop p99 ${delay(loop.percentile(99))} max ${delay(loop.max)} every ${RESOLUTION_MS}\n`,
  );
  if (TRACE) process.stdout.write(`${traceReport()}\n`);
  if (PROFILE_DIR) void stopProfile(PROFILE_DIR);
});

const edges: RunningEdge[] = [];
for (const file of process.argv.slice(2))
  edges.push(await startEdge(loadEdgeConfig(file), { configPath: file }));
process.stdout.write(`ready ${edges.length}\n`);
await new Promise<void>((resolve) => {
  process.once('SIGTERM', resolve);
  process.once('SIGINT', resolve);
});
await Promise.all(edges.map((e) => e.stop()));
process.exit(0);
