/**
 * The security suite's site: the real hub process (`site/cli.ts --config`), optionally running the
 * dashboard in the same process as shipped, and the attacker's tools: raw MQTT CONNECTs from any
 * loopback address (127.0.0.0/8 only: every address there is this machine), and a device client
 * bound to an address of its own.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type IClientOptions, MqttClient } from 'mqtt';
import { CredentialsStore, type NewDevice } from '../../hub/auth/credentials.ts';
import { canConnect, freePorts } from '../harness/ports.ts';
import { spawnTracked, type Tracked, tail } from '../harness/proc.ts';
import { waitFor } from '../harness/wait.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SITE = 'sec-site';

/** The n-th attacker address: 127.0.0.2, 127.0.0.3, ... (never leaves loopback). */
export function loopback(n: number): string {
  if (n < 0 || n > 250 * 250) throw new Error('loopback: out of range');
  return `127.0.${Math.floor(n / 250)}.${(n % 250) + 2}`;
}

function encodeLength(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}

/**
 * One MQTT 3.1.1 CONNECT (clean session, username and password) from `localAddress`; resolves with
 * the CONNACK return code, or -1 when the connection closed without one. Hand-made bytes: an
 * attacker does not need a client library, and 150 of these cost next to nothing.
 */
export function rawConnect(
  port: number,
  o: { localAddress: string; username: string; password: string; clientId: string; timeoutMs?: number },
): Promise<number> {
  const variable = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0xc2, 0, 60]);
  const payload = Buffer.concat([str(o.clientId), str(o.username), str(o.password)]);
  const body = Buffer.concat([variable, payload]);
  const packet = Buffer.concat([Buffer.from([0x10, ...encodeLength(body.length)]), body]);
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1', localAddress: o.localAddress });
    let got = Buffer.alloc(0);
    const done = (code: number) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(code);
    };
    const timer = setTimeout(() => done(-1), o.timeoutMs ?? 10_000);
    sock.on('connect', () => sock.write(packet));
    sock.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 4 && got[0] === 0x20) done(got[3] as number);
    });
    sock.on('error', () => done(-1));
    sock.on('close', () => done(-1));
  });
}

/** An mqtt.js client whose TCP connection comes from `localAddress` (mqtt.js has no such option). */
export function clientFrom(port: number, localAddress: string, opts: IClientOptions): MqttClient {
  return new MqttClient(() => net.createConnection({ port, host: '127.0.0.1', localAddress }), {
    protocolVersion: 4,
    ...opts,
  });
}

export interface HubProcess {
  port: number;
  dir: string;
  credentialsFile: string;
  passwords: Record<string, string>;
  proc: Tracked;
  /** The dashboard's address when it runs in the hub's process. */
  dashboardUrl: string | undefined;
  /** Dashboard accounts: username → password. */
  users: Record<string, string>;
  stop(): Promise<void>;
}

export interface HubProcessOptions {
  devices: Array<NewDevice & { scrypt?: { N: number; r: number; p: number } }>;
  /** YAML lines added under `limits:` */
  limits?: string;
  /** Extra top-level YAML of the hub. */
  hubYaml?: string;
  /** Run the dashboard in the hub's process with these accounts (role by name: admin, guard, hr). */
  dashboard?: { users: Array<{ username: string; role: 'admin' | 'guard' | 'hr' }>; yaml?: string };
  /** Extra node flags for the hub process (a benchmark's `--cpu-prof --cpu-prof-dir DIR`). */
  nodeArgs?: string[];
}

const FAST = { N: 1024, r: 8, p: 1 };

export async function startHubProcess(o: HubProcessOptions): Promise<HubProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-sec-'));
  const credentialsFile = join(dir, 'credentials.json');
  const passwords: Record<string, string> = {};
  for (const d of o.devices) {
    const { scrypt, ...dev } = d;
    const store = new CredentialsStore(credentialsFile, scrypt ?? FAST).load({ allowMissing: true });
    passwords[d.id] = `pw-${d.id}-${Math.random().toString(36).slice(2)}`;
    await store.add(dev, passwords[d.id] as string);
  }
  const [port, httpPort] = await freePorts(2);
  const users: Record<string, string> = {};
  let dashboardLine = '';
  if (o.dashboard) {
    if (!passwords.dashboard) throw new Error('a dashboard needs a device "dashboard"');
    writeFileSync(join(dir, 'dashboard.mqtt.pw'), passwords.dashboard, { mode: 0o600 });
    mkdirSync(join(dir, 'readings'), { recursive: true });
    const dashYaml = join(dir, 'dashboard.yaml');
    writeFileSync(
      dashYaml,
      `siteId: ${SITE}
http: { host: 127.0.0.1, port: ${httpPort} }
dataDir: ${join(dir, 'dashboard')}
mqtt: { url: internal, username: dashboard, passwordFile: ${join(dir, 'dashboard.mqtt.pw')} }
readings: { kind: sqlite, path: ${join(dir, 'readings', 'readings.db')} }
logLevel: warn
${o.dashboard.yaml ?? ''}
`,
    );
    for (const u of o.dashboard.users) {
      users[u.username] = `pw-${u.username}-${Math.random().toString(36).slice(2)}`;
      const file = join(dir, `${u.username}.pw`);
      writeFileSync(file, users[u.username] as string, { mode: 0o600 });
      const r = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          'dashboard/cli.ts',
          'user',
          'add',
          '--config',
          dashYaml,
          '--username',
          u.username,
          '--role',
          u.role,
          '--password-file',
          file,
        ],
        { cwd: ROOT, encoding: 'utf8' },
      );
      if (r.status !== 0) throw new Error(`dashboard user add failed (${r.status}): ${r.stderr}`);
    }
    dashboardLine = `dashboardConfigFile: ${dashYaml}\n`;
  }
  const hubYaml = join(dir, 'hub.yaml');
  writeFileSync(
    hubYaml,
    `siteId: ${SITE}
mqtt: { host: 0.0.0.0, port: ${port} }
credentialsFile: ${credentialsFile}
persistenceDir: ${join(dir, 'hub')}
watchIntervalMs: 200
logLevel: warn
limits:
${o.limits ?? '  maxConnections: 5000'}
${dashboardLine}${o.hubYaml ?? ''}
`,
  );
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('TG_DASH__') || k.startsWith('TG_HUB__')) delete env[k];
  const proc = spawnTracked(
    process.execPath,
    [...(o.nodeArgs ?? []), '--import', 'tsx', 'site/cli.ts', '--config', hubYaml],
    {
      cwd: ROOT,
      env,
    },
  );
  const dashboardUrl = o.dashboard ? `http://127.0.0.1:${httpPort}` : undefined;
  const died = new AbortController();
  void proc.exited.then(() => died.abort(new Error(`the hub exited:\n${tail(proc.output())}`)));
  await waitFor(
    async () =>
      (await canConnect(port as number)) &&
      (!dashboardUrl ||
        (await fetch(`${dashboardUrl}/healthz`)
          .then((r) => r.ok)
          .catch(() => false))),
    {
      what: 'the hub (and its dashboard) listening',
      timeoutMs: 60_000,
      intervalMs: 100,
      signal: died.signal,
    },
  );
  return {
    port: port as number,
    dir,
    credentialsFile,
    passwords,
    proc,
    dashboardUrl,
    users,
    async stop() {
      await proc.stop('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
