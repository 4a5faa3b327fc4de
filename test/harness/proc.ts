import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { waitFor } from './wait.ts';

/**
 * Child processes of the harness (socat, influxd, mosquitto). Two guards stop them outliving the
 * test process:
 * - a process 'exit' hook SIGKILLs whatever is still alive (normal exit, process.exit());
 * - where util-linux `setpriv` exists the child is started with --pdeathsig KILL, so the kernel
 *   kills it even when the test worker itself is SIGKILLed or crashes (no hook runs then).
 *   Note: the kernel clears pdeathsig when a program drops privileges (setuid), which is one
 *   reason mosquitto runs with `user root`.
 */
const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const c of live) {
      try {
        c.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
    // Only sync calls work in an exit hook. Dirs of a SIGKILLed process stay in /tmp (rare).
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  });
}

/** Deletes `dir` when the process exits, for helpers whose caller forgot close()/destroy(). */
export function removeOnExit(dir: string): void {
  hookExit();
  tempDirs.add(dir);
}

/** The helper cleaned up itself; forget `dir`. */
export function keepOnExit(dir: string): void {
  tempDirs.delete(dir);
}

const SETPRIV = '/usr/bin/setpriv';
const hasSetpriv = existsSync(SETPRIV);

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Tracked {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Settles when the process has exited (or failed to spawn: code null, signal null). */
  readonly exited: Promise<Exit>;
  /** True until the process exits. */
  alive(): boolean;
  /** Last ~64 KB of stdout+stderr, for error messages and for parsing readiness lines. */
  output(): string;
  /** Sends `signal`, waits for exit, escalates to SIGKILL after timeoutMs. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

const MAX_OUTPUT = 64 * 1024;

export function spawnTracked(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Tracked {
  hookExit();
  const [file, argv] = hasSetpriv ? [SETPRIV, ['--pdeathsig', 'KILL', '--', cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let running = true;
  const append = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (out.length > MAX_OUTPUT) out = out.slice(-MAX_OUTPUT);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  live.add(child);
  const exited = new Promise<Exit>((resolve) => {
    // 'close' (not 'exit') so that all output has been read when this settles.
    child.once('close', (code, signal) => {
      running = false;
      live.delete(child);
      resolve({ code, signal });
    });
    child.once('error', (err) => {
      append(Buffer.from(`\nspawn ${cmd} failed: ${err.message}\n`));
      running = false;
      live.delete(child);
      resolve({ code: null, signal: null });
    });
  });
  // A forgotten service must not keep a vitest worker alive; the exit hook cleans it up.
  child.unref();
  (child.stdout as unknown as { unref?: () => void })?.unref?.();
  (child.stderr as unknown as { unref?: () => void })?.unref?.();

  return {
    child,
    pid: child.pid ?? -1,
    exited,
    alive: () => running,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000) {
      if (!running) return exited;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Last `lines` lines of a text, for compact error messages. */
export function tail(text: string, lines = 20): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Waits until `isReady` holds for a service just spawned, or fails as soon as the process dies,
 * whichever comes first. On failure the process is killed and the error carries its log tail.
 */
export async function awaitReady(
  p: Tracked,
  isReady: () => boolean | Promise<boolean>,
  o: { name: string; what: string; timeoutMs: number; intervalMs: number; config: string },
): Promise<void> {
  // Aborted once the race is decided, so a lost waitFor stops polling and never rejects unhandled.
  const poll = new AbortController();
  const ready = waitFor(isReady, {
    timeoutMs: o.timeoutMs,
    intervalMs: o.intervalMs,
    signal: poll.signal,
    what: o.what,
  });
  const died = p.exited.then((e) => {
    throw new Error(`${o.name} exited during startup (code ${e.code}, signal ${e.signal})`);
  });
  try {
    await Promise.race([ready, died]);
  } catch (err) {
    await p.stop('SIGKILL');
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`${msg}\nconfig: ${o.config}\n${o.name} log tail:\n${tail(p.output())}`);
  } finally {
    poll.abort();
    ready.catch(() => {});
    died.catch(() => {});
  }
}
