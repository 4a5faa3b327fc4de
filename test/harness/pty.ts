import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keepOnExit, removeOnExit, spawnTracked, type Tracked, tail } from './proc.ts';
import { waitFor } from './wait.ts';

export interface PtyPair {
  /** Stable symlink paths (DIR/a, DIR/b); they survive unplug()/replug() unchanged. */
  readonly a: string;
  readonly b: string;
  /** The temp folder holding the links; removed by close(). */
  readonly dir: string;
  plugged(): boolean;
  /** Kills socat: both links vanish and open ports on them see a hang-up, like a pulled USB adapter. */
  unplug(): Promise<void>;
  /** Starts a fresh socat on the same link paths (new /dev/pts numbers behind them). */
  replug(): Promise<void>;
  /** Kills socat and removes the folder. Safe to call twice. */
  close(): Promise<void>;
}

export function socatAvailable(): boolean {
  return ['/usr/bin/socat', '/bin/socat', '/usr/local/bin/socat'].some((p) => existsSync(p));
}

/**
 * A virtual null-modem cable: what is written to `a` is read on `b` and vice versa. socat is used
 * instead of openpty from node because it needs no native addon and its links give tests fixed
 * paths that can disappear and come back, which is exactly how a USB serial adapter behaves.
 */
export async function createPtyPair(opts: { timeoutMs?: number } = {}): Promise<PtyPair> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const dir = await mkdtemp(join(tmpdir(), 'thermogate-pty-'));
  removeOnExit(dir);
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  let proc: Tracked | undefined;
  let closed = false;

  async function start(): Promise<void> {
    const p = spawnTracked('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`]);
    proc = p;
    // Ready = socat says it entered its loop (both ptys open) and both links are visible.
    // Aborted once the race is decided, so a lost waitFor stops polling and never rejects unhandled.
    const poll = new AbortController();
    const ready = waitFor(
      () => p.output().includes('starting data transfer loop') && existsSync(a) && existsSync(b),
      {
        timeoutMs,
        intervalMs: 20,
        signal: poll.signal,
        what: `socat pty pair at ${dir}`,
      },
    );
    const died = p.exited.then((e) => {
      throw new Error(
        `socat exited before the pty pair was ready (code ${e.code}, signal ${e.signal}); ` +
          `is Debian's socat installed? Output:\n${tail(p.output())}`,
      );
    });
    try {
      await Promise.race([ready, died]);
    } catch (err) {
      await p.stop('SIGKILL');
      if (err instanceof Error && !err.message.startsWith('socat exited')) {
        err.message += `\nsocat output:\n${tail(p.output())}`;
      }
      throw err;
    } finally {
      poll.abort();
      ready.catch(() => {});
      died.catch(() => {}); // settles later on a normal stop; not an error then
    }
  }

  async function stopSocat(): Promise<void> {
    const p = proc;
    proc = undefined;
    if (p) await p.stop('SIGTERM', 3000);
    // socat unlinks on SIGTERM but not when SIGKILLed; make "unplugged" true either way.
    await rm(a, { force: true });
    await rm(b, { force: true });
  }

  try {
    await start();
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    keepOnExit(dir);
    throw err;
  }

  return {
    a,
    b,
    dir,
    plugged: () => proc?.alive() ?? false,
    unplug: stopSocat,
    async replug() {
      if (closed) throw new Error('replug() after close()');
      if (proc?.alive()) return;
      await stopSocat(); // clears a socat that died by itself and any stale links
      await start();
    },
    async close() {
      closed = true;
      await stopSocat();
      await rm(dir, { recursive: true, force: true });
      keepOnExit(dir);
    },
  };
}
