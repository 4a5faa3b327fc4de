/**
 * The integrator's baseline: Node-RED 4.x with node-red-contrib-influxdb, installed by the
 * benchmark into bench/.node-red (gitignored; never a dependency of ThermoGate) and run as a child
 * process with the committed flow bench/node-red/flow.json. Node-RED 5 needs Node 22, so 4.x.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../test/harness/ports.ts';
import { awaitReady, spawnTracked, type Tracked } from '../../test/harness/proc.ts';

const ROOT = resolve(import.meta.dirname, '../..');
export const NODE_RED_DIR = join(ROOT, 'bench', '.node-red');
export const FLOW_FILE = join(ROOT, 'bench', 'node-red', 'flow.json');
const PACKAGES = ['node-red@4', 'node-red-contrib-influxdb'];

export interface NodeRedInstall {
  nodeRed: string;
  influxNode: string;
  /** Seconds spent installing in this run; 0 when the folder was already there. */
  installSeconds: number;
}

function installedVersion(name: string): string | undefined {
  const file = join(NODE_RED_DIR, 'node_modules', name, 'package.json');
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/** Installs Node-RED into bench/.node-red unless it is there already (a cold install takes ~11 s). */
export function ensureNodeRed(log: (s: string) => void): NodeRedInstall {
  let nodeRed = installedVersion('node-red');
  let influxNode = installedVersion('node-red-contrib-influxdb');
  if (nodeRed?.startsWith('4.') && influxNode) return { nodeRed, influxNode, installSeconds: 0 };
  log(`installing ${PACKAGES.join(' ')} into bench/.node-red (once; cached afterwards)…`);
  mkdirSync(NODE_RED_DIR, { recursive: true });
  // Its own package.json makes the folder its own npm project, not part of ThermoGate's.
  const pkg = join(NODE_RED_DIR, 'package.json');
  if (!existsSync(pkg)) writeFileSync(pkg, '{ "private": true }\n');
  const t0 = performance.now();
  const r = spawnSync(
    'npm',
    ['install', '--prefix', NODE_RED_DIR, '--no-audit', '--no-fund', '--loglevel=error', ...PACKAGES],
    { cwd: NODE_RED_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (r.status !== 0) throw new Error(`npm install of Node-RED failed:\n${r.stdout}\n${r.stderr}`);
  nodeRed = installedVersion('node-red');
  influxNode = installedVersion('node-red-contrib-influxdb');
  if (!nodeRed || !influxNode) throw new Error('npm install finished but Node-RED is not in bench/.node-red');
  return { nodeRed, influxNode, installSeconds: (performance.now() - t0) / 1000 };
}

export interface NodeRed {
  readonly pid: number;
  stop(): Promise<void>;
  output(): string;
}

/** Starts Node-RED on the committed flow; resolves once its MQTT node is connected to the broker. */
export async function startNodeRed(o: {
  mqttPort: number;
  influxPort: number;
  database: string;
}): Promise<NodeRed> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-bench-nodered-'));
  // A copy: Node-RED may write next to its flow file; the committed one stays untouched.
  const flowFile = join(dir, 'flow.json');
  copyFileSync(FLOW_FILE, flowFile);
  const settings = join(dir, 'settings.cjs');
  const uiPort = await freePort();
  writeFileSync(
    settings,
    `module.exports = ${JSON.stringify(
      {
        uiHost: '127.0.0.1',
        uiPort,
        userDir: NODE_RED_DIR,
        flowFile,
        credentialSecret: false,
        // Best case for the baseline: no editor, no admin API, no HTTP nodes (less memory, less CPU).
        disableEditor: true,
        httpAdminRoot: false,
        httpNodeRoot: false,
        logging: { console: { level: 'info', metrics: false, audit: false } },
        telemetry: { enabled: false },
        diagnostics: { enabled: false },
        runtimeState: { enabled: false },
        externalModules: { autoInstall: false, palette: { allowInstall: false } },
        functionExternalModules: false,
        editorTheme: { projects: { enabled: false } },
      },
      null,
      2,
    )};\n`,
  );
  const p: Tracked = spawnTracked(
    process.execPath,
    [join(NODE_RED_DIR, 'node_modules', 'node-red', 'red.js'), '--settings', settings],
    {
      cwd: dir,
      env: {
        ...process.env,
        TG_BENCH_MQTT_PORT: String(o.mqttPort),
        TG_BENCH_INFLUX_PORT: String(o.influxPort),
        TG_BENCH_NR_DB: o.database,
      },
    },
  );
  await awaitReady(p, () => /Connected to broker/.test(p.output()) && /Started flows/.test(p.output()), {
    name: 'node-red',
    what: 'Node-RED flow started and connected to the broker',
    timeoutMs: 60_000,
    intervalMs: 100,
    config: settings,
  });
  return {
    pid: p.pid,
    output: () => p.output(),
    async stop() {
      await p.stop('SIGTERM', 10_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
