/**
 * A whole ThermoGate site on this machine, built from the real programs: the hub and three gates
 * as their own processes (node + tsx, so a SIGKILL hits the process holding the outbox), two real
 * InfluxDBs, and in-process simulators on real wires (a socat pty, a TCP device server, MQTT, the
 * simulated GPIO). gate-1: Modbus thermometer on a pty; gate-2: Modbus thermometer behind a TCP
 * serial server; gate-3: the terminal measures, its clock can be stepped (libfaketime), its
 * outbox is small and has its own InfluxDB, and its data folder is a small tmpfs of its own (the
 * "disk nearly full" gate: a real filesystem that runs out). The dashboard runs as
 * its own process too (`dashboard/cli.ts`), with a guard account the checks log in with.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CredentialsStore } from '../../hub/auth/credentials.ts';
import { type Influxd, startInfluxd } from '../harness/influxd.ts';
import { canConnect, freePorts } from '../harness/ports.ts';
import { spawnTracked, type Tracked } from '../harness/proc.ts';
import { createPtyPair, type PtyPair } from '../harness/pty.ts';
import { waitFor } from '../harness/wait.ts';
import { dashboardHealth } from './dashboard-view.ts';
import { GuardOnDuty } from './guard-on-duty.ts';
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
/** gate-3's data disk: a tmpfs this large, watched with `storage.diskReserveMB: 1`. */
export const GATE3_DISK_MB = 24;

/** Where gate-3's data lives: a real small filesystem, or (mount refused) the machine's disk. */
export type Gate3Disk = { real: true; path: string } | { real: false; path: string; reason: string };

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
  dashboard: Tracked | undefined;
  dashboardPort = 0;
  /** The guard account the checks use on the dashboard's HTTP API. */
  readonly guard = { username: 'soak-guard', password: `guard-${Math.random().toString(36).slice(2)}` };
  /** Works the fever episodes to a clearing close, lifting the holds (see guard-on-duty.ts). */
  readonly guardOnDuty = new GuardOnDuty(() => this.dashboardUrl, this.guard);
  readonly edges = new Map<GateId, Tracked>();
  readonly lanes = new Map<GateId, Lane>();
  observer!: Observer;
  hubPort = 0;
  private gpioPorts: number[] = [];
  private tcpThermometerPort = 0;
  private passwords = new Map<string, string>();
  readonly clockFile: string;
  gate3Disk: Gate3Disk | undefined;
  private unmountOnExit: (() => void) | undefined;
  /** Edge, hub and dashboard restarts, for the figures. */
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
    const ports = await freePorts(6);
    this.hubPort = ports[0] as number;
    this.gpioPorts = ports.slice(1, 4);
    this.tcpThermometerPort = ports[4] as number;
    this.dashboardPort = ports[5] as number;
    this.pty = await createPtyPair();
    this.mountGate3Disk();
    await this.writeCredentials();
    this.writeHubConfig();
    this.importAccessList();
    await this.startHub();
    this.observer = new Observer(this.brokerUrl, SITE, 'soak-observer', this.password('soak-observer'));
    await this.observer.start();
    // Before the gates: the dashboard's persistent session must exist before the first alert.
    this.writeDashboardConfig();
    this.addGuardAccount();
    await this.startDashboard();
    this.guardOnDuty.start();
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

  /**
   * A tmpfs for gate-3's data folder, so the disk-nearly-full fault fills a real filesystem. The
   * soak runs as root on this machine; where mount is refused the fault falls back to filling the
   * outbox's capacity and the figures say so.
   */
  private mountGate3Disk(): void {
    const path = join(this.dir, 'gate-3');
    mkdirSync(path, { recursive: true });
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${GATE3_DISK_MB}m,mode=0755`, 'tmpfs', path], {
      encoding: 'utf8',
    });
    if (r.status !== 0) {
      this.gate3Disk = {
        real: false,
        path,
        reason: (r.stderr || r.error?.message || `exit ${r.status}`).trim(),
      };
      return;
    }
    this.gate3Disk = { real: true, path };
    // A soak that dies without stop() must not leave a mount behind (only sync calls work here).
    const hook = () => {
      spawnSync('umount', ['-l', path]);
    };
    process.on('exit', hook);
    this.unmountOnExit = () => process.off('exit', hook);
  }

  /** Unmounts gate-3's tmpfs (its edge stopped); a copy of its contents is kept next to the logs. */
  private unmountGate3Disk(keep: boolean): void {
    const d = this.gate3Disk;
    if (!d?.real) return;
    if (keep) cpSync(d.path, join(this.dir, 'gate-3.disk'), { recursive: true });
    const r = spawnSync('umount', [d.path], { encoding: 'utf8' });
    if (r.status !== 0) spawnSync('umount', ['-l', d.path]);
    this.unmountOnExit?.();
    this.gate3Disk = { real: false, path: d.path, reason: 'unmounted' };
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
    await add({ id: 'dashboard', role: 'dashboard', site: SITE });
    writeFileSync(join(this.dir, 'dashboard.password'), this.password('dashboard'), { mode: 0o600 });
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
        'site/cli.ts',
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
      ['--import', 'tsx', 'site/cli.ts', '--config', join(this.dir, 'hub.yaml')],
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

  get dashboardUrl(): string {
    return `http://127.0.0.1:${this.dashboardPort}`;
  }

  get dashboardDb(): string {
    return join(this.dir, 'dashboard', 'dashboard.db');
  }

  private get dashboardConfig(): string {
    return join(this.dir, 'dashboard.yaml');
  }

  /**
   * Shared isolation rooms: the guard on duty (guard-on-duty.ts) works every fever episode to its
   * end, and an episode reaches the re-check only in a room. The soak checks that alerts arrive
   * and holds are lifted, not the isolation plan (dashboard-e2e does that).
   */
  private writeDashboardConfig(): void {
    writeFileSync(
      this.dashboardConfig,
      `siteId: ${SITE}
http: { host: 127.0.0.1, port: ${this.dashboardPort} }
dataDir: ${join(this.dir, 'dashboard')}
mqtt: { url: "${this.brokerUrl}", username: dashboard, passwordFile: ${join(this.dir, 'dashboard.password')} }
readings: { kind: influx, url: "${this.influx.url}", database: soak }
alerts: { escalateAfterMs: 3600000 }
rooms:
  - { id: R1, name: 隔离室1, capacity: 4, shared: true }
  - { id: R2, name: 隔离室2, capacity: 4, shared: true }
  - { id: R3, name: 隔离室3, capacity: 4, shared: true }
logLevel: warn
`,
    );
  }

  private addGuardAccount(): void {
    const file = join(this.dir, 'guard.password');
    writeFileSync(file, this.guard.password, { mode: 0o600 });
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'dashboard/cli.ts',
        'user',
        'add',
        '--config',
        this.dashboardConfig,
        '--username',
        this.guard.username,
        '--role',
        'guard',
        '--password-file',
        file,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`dashboard user add failed (${r.status}): ${r.stderr}`);
  }

  /** Starts the dashboard process; resolves when /healthz answers with the broker connected. */
  async startDashboard(): Promise<number> {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('TG_DASH__')) delete env[k];
    const p = spawnTracked(
      process.execPath,
      ['--import', 'tsx', 'dashboard/cli.ts', '--config', this.dashboardConfig],
      { cwd: ROOT, env },
    );
    const log = this.logStream('dashboard');
    p.child.stderr?.pipe(log);
    p.child.stdout?.pipe(log);
    this.dashboard = p;
    const died = new AbortController();
    void p.exited.then(() => died.abort(new Error(`the dashboard exited: ${p.output().slice(-2000)}`)));
    await waitFor(async () => (await dashboardHealth(this.dashboardUrl))?.mqtt === true, {
      what: 'the dashboard healthy and connected to the broker',
      timeoutMs: 60_000,
      intervalMs: 100,
      signal: died.signal,
    });
    return Date.now();
  }

  async killDashboard(): Promise<void> {
    const p = this.dashboard;
    if (!p?.alive()) return;
    p.child.kill('SIGKILL');
    await p.exited;
    this.restarts.push({ what: 'dashboard', at: Date.now() });
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
storage: { outboxCapacity: ${g === 'gate-3' ? SMALL_OUTBOX : 100000},${g === 'gate-3' ? ' diskReserveMB: 1,' : ''} sink: { kind: influx, url: "${sink.url}", database: soak } }
heartbeatIntervalMs: 1000
logLevel: ${process.env.TG_SOAK_EDGE_LOG_LEVEL ?? 'warn'}
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
    this.guardOnDuty.stop();
    try {
      for (const lane of this.lanes.values()) await lane.stop().catch(() => {});
      await this.observer?.stop().catch(() => {});
      for (const p of this.edges.values()) await p.stop('SIGTERM', 5000);
      await this.dashboard?.stop('SIGTERM', 5000);
      await this.hub?.stop('SIGTERM', 5000);
    } finally {
      this.unmountGate3Disk(opts.keep ?? false);
    }
    await this.pty?.close();
    await this.influx?.destroy();
    await this.influxSmall?.destroy();
    if (!opts.keep) rmSync(this.dir, { recursive: true, force: true });
  }
}
