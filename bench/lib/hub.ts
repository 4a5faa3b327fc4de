/**
 * The site hub (`site/cli.ts`, what `npm run hub` runs) in its own process for the benchmarks, with
 * a credentials file for every simulated device, and Mosquitto 2 with the equivalent passwords
 * and ACL for comparison. One scrypt hash serves every device, at the cost `device add` gives the
 * passwords it generates (N = 1024, hub/auth/password.ts GENERATED_SCRYPT): production's cost.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mosquittoAcl } from '../../hub/auth/mosquitto-acl.ts';
import { GENERATED_SCRYPT, hashPassword } from '../../hub/auth/password.ts';
import type { DeviceCredential } from '../../protocols/hub/credentials.ts';
import { canConnect, freePort } from '../../test/harness/ports.ts';
import { awaitReady, type Tracked } from '../../test/harness/proc.ts';
import { tempDir } from '../../test/hub/fixture.ts';
import { spawnTs } from './edges.ts';
import { startBenchMosquitto } from './mosquitto.ts';

export const BENCH_PASSWORD = 'bench-password-0123456789';

export type BenchDevice = Pick<DeviceCredential, 'id' | 'role' | 'site' | 'gate' | 'terminal'>;

/** Gates `gate-001`…, each with its terminal `term-001`…, plus one dashboard-role observer. */
export function siteDevices(site: string, gates: number, observer = 'observer'): BenchDevice[] {
  const out: BenchDevice[] = [];
  for (let i = 1; i <= gates; i++) {
    const n = String(i).padStart(3, '0');
    out.push({ id: `gate-${n}`, role: 'gate', site, gate: `gate-${n}`, terminal: `term-${n}` });
    out.push({ id: `term-${n}`, role: 'terminal' });
  }
  out.push({ id: observer, role: 'dashboard', site });
  return out;
}

async function credentials(devices: BenchDevice[]): Promise<DeviceCredential[]> {
  const secret = await hashPassword(BENCH_PASSWORD, GENERATED_SCRYPT);
  return devices.map((d) => ({ ...d, secret, createdAt: Date.now(), revokedAt: null }));
}

export interface Broker {
  name: string;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export interface RestartableHub extends Broker {
  /** The hub's data folder (persistence, site store, access list). */
  dir: string;
  /** SIGKILL: a power cut, nothing flushed beyond what the hub had committed. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data (node flags: those it was created with); resolves once it listens. */
  start(nodeArgs?: string[]): Promise<void>;
}

export async function startHub(
  site: string,
  devices: BenchDevice[],
  extraArgs: string[] = [],
  extraConfig = '',
): Promise<RestartableHub> {
  const dir = tempDir('tg-bench-hub-');
  writeFileSync(
    join(dir, 'credentials.json'),
    JSON.stringify({ v: 1, devices: await credentials(devices) }, null, 2),
    { mode: 0o600 },
  );
  const port = await freePort();
  const config = join(dir, 'hub.yaml');
  writeFileSync(
    config,
    `siteId: ${site}\nmqtt: { host: 127.0.0.1, port: ${port} }\ncredentialsFile: credentials.json\npersistenceDir: data\nlogLevel: warn\n${extraConfig}`,
  );
  let hub: Tracked;
  const start = async (nodeArgs = extraArgs) => {
    hub = spawnTs('site/cli.ts', ['--config', config], nodeArgs);
    await awaitReady(hub, () => canConnect(port), {
      name: 'hub',
      what: 'hub listening',
      timeoutMs: 60_000,
      intervalMs: 50,
      config,
    });
    out.pid = hub.pid;
  };
  const out: RestartableHub = {
    name: 'hub (aedes + SQLite persistence)',
    url: `mqtt://127.0.0.1:${port}`,
    pid: 0,
    dir,
    async stop() {
      await hub.stop('SIGTERM', 10_000);
    },
    async kill() {
      await hub.stop('SIGKILL');
    },
    start,
  };
  await start();
  return out;
}

export async function startMosquittoFor(devices: BenchDevice[]): Promise<Broker> {
  const creds = await credentials(devices);
  const passwords = Object.fromEntries(devices.map((d) => [d.id, BENCH_PASSWORD]));
  const m = await startBenchMosquitto({ passwords, aclText: mosquittoAcl(creds) });
  return { name: 'Mosquitto 2 (in memory)', url: m.url, pid: m.pid, stop: () => m.stop() };
}
