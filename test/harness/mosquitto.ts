import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { canConnect, freePort } from './ports.ts';
import { awaitReady, keepOnExit, removeOnExit, spawnTracked, type Tracked, tail } from './proc.ts';

const run = promisify(execFile);

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';
export const MOSQUITTO_PASSWD_BIN = '/usr/bin/mosquitto_passwd';

export interface MosquittoOptions {
  /** user -> password. When given, anonymous clients are refused. */
  passwords?: Record<string, string>;
  /** Contents of an acl_file (mosquitto syntax: `user NAME` / `topic readwrite a/#` ...). */
  aclText?: string;
  readyTimeoutMs?: number;
}

export interface Mosquitto {
  /** mqtt://127.0.0.1:PORT, for mqtt.connect(url, ...). */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** SIGTERM and wait for exit; clients see the connection drop. */
  stop(): Promise<void>;
  /** Starts again (stopping first if needed) on the same port and config. */
  restart(): Promise<void>;
  /** Stops and deletes the temp folder; call once in afterAll. */
  destroy(): Promise<void>;
  log(): string;
}

export function mosquittoAvailable(): boolean {
  return existsSync(MOSQUITTO_BIN);
}

/**
 * A private Mosquitto 2 broker for one test file (the Debian service, if any, is not touched).
 * `user root` keeps it from dropping privileges to user mosquitto, which would otherwise make
 * our 0700 temp folder unreadable and would clear the parent-death signal that stops leaks;
 * the files are made world-readable anyway in case it runs as another user.
 */
export async function startMosquitto(opts: MosquittoOptions = {}): Promise<Mosquitto> {
  if (!mosquittoAvailable()) {
    throw new Error(
      `${MOSQUITTO_BIN} not found: install Debian packages mosquitto mosquitto-clients (test/run.sh does it as root)`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'thermogate-mosquitto-'));
  removeOnExit(dir);
  await chmod(dir, 0o755);
  const port = await freePort();
  const url = `mqtt://127.0.0.1:${port}`;
  const lines = [
    'user root',
    `listener ${port} 127.0.0.1`,
    // The default 1000 drops QoS 1 messages during bursts, which tests do on purpose.
    'max_queued_messages 100000',
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
  ];
  try {
    if (opts.passwords) {
      const pwFile = join(dir, 'passwords');
      const users = Object.entries(opts.passwords);
      if (users.length === 0) await writeFile(pwFile, '');
      for (const [i, [user, pass]] of users.entries()) {
        // -c only for the first user: it truncates the file.
        const args = i === 0 ? ['-b', '-c', pwFile, user, pass] : ['-b', pwFile, user, pass];
        await run(MOSQUITTO_PASSWD_BIN, args).catch((err: Error & { stderr?: string }) => {
          throw new Error(`mosquitto_passwd failed for user ${user}: ${err.stderr || err.message}`);
        });
      }
      await chmod(pwFile, 0o644);
      lines.push('allow_anonymous false', `password_file ${pwFile}`);
    } else {
      lines.push('allow_anonymous true');
    }
    if (opts.aclText !== undefined) {
      const aclFile = join(dir, 'acl');
      await writeFile(aclFile, `${opts.aclText}\n`, { mode: 0o644 });
      lines.push(`acl_file ${aclFile}`);
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    keepOnExit(dir);
    throw err;
  }
  const config = join(dir, 'mosquitto.conf');
  await writeFile(config, `${lines.join('\n')}\n`, { mode: 0o644 });

  let last: Tracked | undefined;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 10_000;

  async function start(): Promise<void> {
    if (last) await last.exited;
    const p = spawnTracked(MOSQUITTO_BIN, ['-c', config]);
    last = p;
    await awaitReady(p, async () => p.alive() && (await canConnect(port)), {
      name: 'mosquitto',
      what: `mosquitto listening on ${url}`,
      timeoutMs: readyTimeoutMs,
      intervalMs: 50,
      config,
    });
  }

  async function stop(): Promise<void> {
    if (last) await last.stop('SIGTERM', 10_000);
  }

  try {
    await start();
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    keepOnExit(dir);
    throw err;
  }

  return {
    url,
    port,
    dir,
    stop,
    async restart() {
      await stop();
      await start();
    },
    async destroy() {
      await stop();
      await rm(dir, { recursive: true, force: true });
      keepOnExit(dir);
    },
    log: () => tail(last?.output() ?? '', 50),
  };
}
