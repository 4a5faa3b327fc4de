/**
 * Mosquitto 2 for the benchmarks: like test/harness/mosquitto.ts, plus `set_tcp_nodelay true`
 * (without it Nagle's algorithm holds small QoS 1 packets ~40 ms, which would measure the TCP
 * stack rather than the broker) and a password file hashed in one go (`mosquitto_passwd -U`), so
 * that hundreds of simulated devices do not take hundreds of tool runs.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MOSQUITTO_BIN, MOSQUITTO_PASSWD_BIN } from '../../test/harness/mosquitto.ts';
import { canConnect, freePort } from '../../test/harness/ports.ts';
import { awaitReady, spawnTracked } from '../../test/harness/proc.ts';

export interface BenchMosquitto {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export async function startBenchMosquitto(
  o: { passwords?: Record<string, string>; aclText?: string } = {},
): Promise<BenchMosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-bench-mosquitto-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const lines = [
    'user root',
    `listener ${port} 127.0.0.1`,
    'set_tcp_nodelay true',
    'max_queued_messages 1000000',
    'max_inflight_messages 100',
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
  ];
  if (o.passwords) {
    const pw = join(dir, 'passwords');
    writeFileSync(
      pw,
      Object.entries(o.passwords)
        .map(([u, p]) => `${u}:${p}\n`)
        .join(''),
      { mode: 0o644 },
    );
    execFileSync(MOSQUITTO_PASSWD_BIN, ['-U', pw]);
    lines.push('allow_anonymous false', `password_file ${pw}`);
  } else lines.push('allow_anonymous true');
  if (o.aclText !== undefined) {
    writeFileSync(join(dir, 'acl'), `${o.aclText}\n`, { mode: 0o644 });
    lines.push(`acl_file ${join(dir, 'acl')}`);
  }
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(config, `${lines.join('\n')}\n`, { mode: 0o644 });
  const p = spawnTracked(MOSQUITTO_BIN, ['-c', config]);
  await awaitReady(p, () => canConnect(port), {
    name: 'mosquitto',
    what: `mosquitto listening on ${port}`,
    timeoutMs: 10_000,
    intervalMs: 50,
    config,
  });
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    pid: p.pid,
    async stop() {
      await p.stop('SIGTERM', 10_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
