/**
 * A whole ThermoGate site on this machine, built from the real programs: the hub and three gates
 * as their own processes (node + tsx, so a SIGKILL hits the process holding the outbox), two real
 * InfluxDBs, and in-process simulators on real wires (a socat pty, a TCP device server, MQTT, the
 * simulated GPIO). gate-1: Modbus thermometer on a pty; gate-2: Modbus thermometer behind a TCP
 * serial server; gate-3: the terminal measures, its clock can be stepped (libfaketime) and its
 * outbox is small and has its own InfluxDB (the "disk nearly full" gate).
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CredentialsStore } from '../../hub/auth/credentials.ts';
import { type Influxd, startInfluxd } from '../harness/influxd.ts';
import { canConnect, freePorts } from '../harness/ports.ts';
import { spawnTracked, type Tracked } from '../harness/proc.ts';
import { createPtyPair, type PtyPair } from '../harness/pty.ts';
import { waitFor } from '../harness/wait.ts';
import { Lane, type Person } from './lane.ts';
import { Observer } from './observer.ts';
import { type Rng, seeded } from './rng.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
export const SITE = 'soak';
export const GATES = ['gate-1', 'gate-2', 'gate-3'] as const;
export type GateId = (typeof GATES)[number];
export const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
/** gate-3's outbox capacity: the minimum the config allows, so "nearly full" takes a burst, not hours. */
export const SMALL_OUTBOX = 1000;

export const PEOPLE: Person[] = [
  ...Array.from({ length: 20 }, (_, i) => ({
    employeeNo: `E${1000 + i}`,
    name: `员工${i}`,
    recognised: true,
    onList: true,
  })),
  { employeeNo: 'E2000', name: 'Not Listed', recognised: true, onList: false },
  { employeeNo: 'E2001', name: 'Left Company', recognised: true, onList: false },
  { employeeNo: 'V1', name: '', recognised: false, onList: false },
  { employeeNo: 'V2', name: '', recognised: false, onList: false },
];

export interface SiteOptions {
  seed: number;
  feverRate?: number;
  /** Where logs and state go (kept after the run for reading). */
  dir?: string;
}

export class Site {
  readonly dir: string;
  readonly rng: Rng;
  influx!: Influxd;
  influxSmall!: Influxd;
  pty!: PtyPair;
  hub: Tracked | undefined;
  readonly edges = new Map<GateId, Tracked>();
  readonly lanes = new Map<GateId, Lane>();
  observer!: Observer;
  hubPort = 0;
  private gpioPorts: number[] = [];
  private tcpThermometerPort = 0;
  private passwords = new Map<string, string>();
  readonly clockFile: string;
  /** Edge and hub restarts, for the figures. */
  readonly restarts: Array<{ what: string; at: number }> = [];

  constructor(readonly o: SiteOptions) {
    // The simulators log every event at info; the soak's own log says what matters.
    process.env.TG_SIM_LOG_LEVEL ??= 'warn';
    this.dir = o.dir ?? mkdtempSync(join(tmpdir(), 'tg-soak-'));
    mkdirSync(this.dir, { recursive: true });
    this.rng = seeded(o.seed);
    this.clockFile = join(this.dir, 'gate-3.faketime');
  }

  get brokerUrl(): string {
    return `mqtt://127.0.0.1:${this.hubPort}`;
  }

  password(id: string): string {
    return this.passwords.get(id) as string;
  }

  async start(): Promise<void> {
    if (!existsSync(FAKETIME_LIB))
      throw new Error(
        `${FAKETIME_LIB} missing: install Debian's faketime (test/harness/system-packages.sh does)`,
      );
    [this.influx, this.influxSmall] = await Promise.all([startInfluxd(), startInfluxd()]);
    const ports = await freePorts(5);
    this.hubPort = ports[0] as number;
    this.gpioPorts = ports.slice(1, 4);
    this.tcpThermometerPort = ports[4] as number;
    this.pty = await createPtyPair();
    await this.writeCredentials();
    this.writeHubConfig();
    this.importAccessList();
    await this.startHub();
    this.observer = new Observer(this.brokerUrl, SITE, 'soak-observer', this.password('soak-observer'));
    await this.observer.start();
    writeFileSync(this.clockFile, '+0');
    GATES.forEach((g, i) => {
      this.writeGateConfig(g, i);
    });
    for (const g of GATES) this.startEdge(g);
    GATES.forEach((g, i) => {
      const thermometer =
        g === 'gate-1'
          ? ({ kind: 'serial', path: this.pty.a } as const)
          : g === 'gate-2'
            ? ({ kind: 'tcp', port: this.tcpThermometerPort } as const)
            : ({ kind: 'none' } as const);
      this.lanes.set(
        g,
        new Lane({
          gateId: g,
          terminalId: `term-${i + 1}`,
          terminalPassword: this.password(`term-${i + 1}`),
          brokerUrl: this.brokerUrl,
          gpioPort: this.gpioPorts[i] as number,
          thermometer,
          people: PEOPLE,
          rng: seeded(this.o.seed * 31 + i),
          feverRate: this.o.feverRate ?? 0.1,
        }),
      );
    });
    for (const lane of this.lanes.values()) await lane.start();
    for (const g of GATES) await this.waitGateUp(g, Date.now() - 60_000);
    for (const lane of this.lanes.values()) await lane.terminal.waitOnline(10_000);
  }

  private async writeCredentials(): Promise<void> {
    const store = new CredentialsStore(join(this.dir, 'credentials.json'), { N: 1024, r: 8, p: 1 }).load({
      allowMissing: true,
    });
    const secret = () => Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
    const add = async (dev: Parameters<CredentialsStore['add']>[0]) => {
      const pw = secret();
      this.passwords.set(dev.id, pw);
      await store.add(dev, pw);
    };
    for (const [i, g] of GATES.entries()) {
      await add({ id: g, role: 'gate', site: SITE, gate: g, terminal: `term-${i + 1}` });
      // The "-rogue" client id lets the abuse faults speak as this terminal without kicking it off.
      await add({ id: `term-${i + 1}`, role: 'terminal', clientIds: [`term-${i + 1}-rogue`] });
      writeFileSync(join(this.dir, `${g}.password`), this.password(g), { mode: 0o600 });
    }
    await add({ id: 'soak-observer', role: 'dashboard', site: SITE });
  }

  private writeHubConfig(): void {
    writeFileSync(
      join(this.dir, 'hub.yaml'),
      `siteId: ${SITE}
mqtt: { host: 127.0.0.1, port: ${this.hubPort} }
credentialsFile: ${join(this.dir, 'credentials.json')}
persistenceDir: ${join(this.dir, 'hub')}
limits: { publishRatePerSec: 1000, publishBurst: 3000, cooldownMs: 5000 }
fleet: { heartbeatTimeoutMs: 4000, publishIntervalMs: 500 }
watchIntervalMs: 500
logLevel: warn
`,
    );
  }

  private importAccessList(): void {
    const csv = join(this.dir, 'access-list.csv');
    const rows = PEOPLE.filter((p) => p.onList).map((p) => `${p.employeeNo},${p.name},Soak,employee,,`);
    writeFileSync(csv, ['employeeNo,name,department,kind,validFrom,validUntil', ...rows].join('\n'));
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'hub/cli.ts',
        'access-list',
        'import',
        '--config',
        join(this.dir, 'hub.yaml'),
        '--csv',
        csv,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`access-list import failed (${r.status}): ${r.stderr}`);
  }

  private logStream(name: string) {
    return createWriteStream(join(this.dir, `${name}.log`), { flags: 'a' });
  }

  async startHub(): Promise<void> {
    const p = spawnTracked(
      process.execPath,
      ['--import', 'tsx', 'hub/cli.ts', '--config', join(this.dir, 'hub.yaml')],
      {
        cwd: ROOT,
      },
    );
    const log = this.logStream('hub');
    p.child.stderr?.pipe(log);
    p.child.stdout?.pipe(log);
    this.hub = p;
    await waitFor(() => canConnect(this.hubPort), {
      what: 'the hub listening',
      timeoutMs: 30_000,
      intervalMs: 100,
    });
  }

  killHub(): void {
    this.hub?.child.kill('SIGKILL');
    this.restarts.push({ what: 'hub', at: Date.now() });
  }

  private writeGateConfig(g: GateId, i: number): void {
    const thermometer =
      g === 'gate-1'
        ? `{ protocol: modbus-ir, port: "${this.pty.b}", pollIntervalMs: 50, lock: false }`
        : g === 'gate-2'
          ? `{ protocol: modbus-ir, port: "tcp://127.0.0.1:${this.tcpThermometerPort}", pollIntervalMs: 50 }`
          : '{ protocol: none }';
    const sink = g === 'gate-3' ? this.influxSmall : this.influx;
    writeFileSync(
      join(this.dir, `${g}.yaml`),
      `siteId: ${SITE}
gateId: ${g}
dataDir: ${join(this.dir, g)}
mqtt: { url: "${this.brokerUrl}", username: ${g}, passwordFile: ${join(this.dir, `${g}.password`)}, reconnectMinMs: 100, reconnectMaxMs: 1000 }
thermometer: ${thermometer}
terminal: { deviceId: term-${i + 1}${g === 'gate-3' ? ', temperatureSource: terminal' : ''} }
turnstile: { drive: both, openMs: 500 }
gpio: { backend: sim, simHost: 127.0.0.1, simPort: ${this.gpioPorts[i]} }
policy: { pairingWindowMs: 1500, waitForMeasurementMs: 1200 }
storage: { outboxCapacity: ${g === 'gate-3' ? SMALL_OUTBOX : 100000}, sink: { kind: influx, url: "${sink.url}", database: soak } }
heartbeatIntervalMs: 1000
logLevel: warn
`,
    );
  }

  startEdge(g: GateId): void {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('TG_EDGE__') || k === 'LOG_LEVEL') delete env[k];
    if (g === 'gate-3')
      Object.assign(env, {
        LD_PRELOAD: FAKETIME_LIB,
        FAKETIME_TIMESTAMP_FILE: this.clockFile,
        FAKETIME_NO_CACHE: '1',
        DONT_FAKE_MONOTONIC: '1',
      });
    const p = spawnTracked(
      process.execPath,
      ['--import', 'tsx', 'edge/cli.ts', '--config', join(this.dir, `${g}.yaml`)],
      {
        cwd: ROOT,
        env,
      },
    );
    const log = this.logStream(g);
    p.child.stderr?.pipe(log);
    p.child.stdout?.pipe(log);
    this.edges.set(g, p);
  }

  async killEdge(g: GateId): Promise<void> {
    const p = this.edges.get(g);
    if (!p?.alive()) return;
    p.child.kill('SIGKILL');
    await p.exited;
    this.restarts.push({ what: g, at: Date.now() });
  }

  async waitGateUp(g: GateId, since: number, timeoutMs = 30_000): Promise<number> {
    await waitFor(() => this.observer.onlineSince(g, since), {
      what: `${g} online`,
      timeoutMs,
      intervalMs: 50,
    });
    return Date.now();
  }

  /** Steps gate-3's clock (libfaketime offset in seconds, e.g. +120, -120, 0). */
  setClockOffset(seconds: number): void {
    writeFileSync(this.clockFile, `${seconds >= 0 ? '+' : ''}${seconds}`);
  }

  async stop(opts: { keep?: boolean } = {}): Promise<void> {
    for (const lane of this.lanes.values()) await lane.stop().catch(() => {});
    await this.observer?.stop().catch(() => {});
    for (const p of this.edges.values()) await p.stop('SIGTERM', 5000);
    await this.hub?.stop('SIGTERM', 5000);
    await this.pty?.close();
    await this.influx?.destroy();
    await this.influxSmall?.destroy();
    if (!opts.keep) rmSync(this.dir, { recursive: true, force: true });
  }
}
