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

/** The machine's CPU ticks from /proc/stat (all cores): busy (without steal), steal, all. */
function machineTicks(): { busy: number; steal: number; all: number } {
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user)
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const busy = user + nice + system + irq + softirq;
  return { busy, steal, all: busy + idle + iowait + steal };
}

/**
 * The whole machine's CPU between two moments, as % of one core: busy (every process and the
 * kernel) and stolen by the hypervisor for other guests. With the CPU of the processes a
 * benchmark knows about, it tells how much went to work outside the benchmark: a tail latency
 * on a shared machine is only comparable between runs where that share is alike.
 */
export class MachineMeter {
  private readonly start = machineTicks();
  private readonly t0 = performance.now();
  percent(): { busy: number; steal: number } {
    const now = machineTicks();
    const s = (performance.now() - this.t0) / 1000;
    return {
      busy: ((now.busy - this.start.busy) / TICKS / s) * 100,
      steal: ((now.steal - this.start.steal) / TICKS / s) * 100,
    };
  }
}
