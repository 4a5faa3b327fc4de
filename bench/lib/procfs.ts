/** CPU time and memory of a process from /proc (Linux): what the footprint figures are made of. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times; 100 on every Linux we run on. */
const TICKS = 100;

/** User + system CPU seconds used so far by `pid` (its own threads, not its children). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return Number.NaN;
  }
}

function statusKb(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Resident memory now, MiB. */
export const rssMiB = (pid: number): number => statusKb(pid, 'VmRSS') / 1024;
/** Peak resident memory since start, MiB. */
export const peakRssMiB = (pid: number): number => statusKb(pid, 'VmHWM') / 1024;
/** Resident memory now and at its peak in MB (10⁶ bytes), the unit the footprint targets use. */
export const rssMB = (pid: number): number => (statusKb(pid, 'VmRSS') * 1024) / 1e6;
export const peakRssMB = (pid: number): number => (statusKb(pid, 'VmHWM') * 1024) / 1e6;

/** CPU use of a set of processes between two moments, as % of one core. */
export class CpuMeter {
  private readonly start: number[];
  private readonly t0 = performance.now();
  constructor(private readonly pids: readonly number[]) {
    this.start = pids.map(cpuSeconds);
  }
  /** % of one core since construction. */
  percent(): number {
    const used = this.pids.reduce((s, pid, i) => s + cpuSeconds(pid) - (this.start[i] as number), 0);
    return (used / ((performance.now() - this.t0) / 1000)) * 100;
  }
}

/** The newest process whose command line contains `pattern` (e.g. a service's temp config path). */
export function pidOf(pattern: string): number {
  const r = spawnSync('pgrep', ['-n', '-f', pattern], { encoding: 'utf8' });
  const pid = Number(r.stdout.trim());
  if (!pid) throw new Error(`no process matches ${pattern}`);
  return pid;
}
