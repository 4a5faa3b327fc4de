/**
 * The compose site without Docker: the same services, started as plain processes from the same
 * commands (read from docker-compose.yml) and the same configuration files (deploy/config), with
 * only hosts, ports and paths moved by environment overrides (TG_HUB__, TG_EDGE__, TG_DASH__), and
 * the credentials made by the same script (deploy/init-credentials.sh). Data must flow end to end:
 * simulated people at both gates, decisions through the hub, readings of both gates in a real
 * InfluxDB, where every query of the Grafana dashboard runs.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetSnapshot } from '../../protocols/hub/fleet.ts';
import { HubTopic } from '../../protocols/topics.ts';
import { type Influxd, startInfluxd } from '../harness/influxd.ts';
import { canConnect, freePorts } from '../harness/ports.ts';
import { awaitReady, spawnTracked, type Tracked, tail } from '../harness/proc.ts';
import { waitFor } from '../harness/wait.ts';
import { tempDir } from '../hub/fixture.ts';
import { buildShippedEdge } from './edge-bundle.ts';
import { dashboards, expand, queries } from './grafana-queries.ts';
import { type ComposeFile, composeConfig, CONFIG_DIR, ROOT } from './paths.ts';

const run = promisify(execFile);
const BIN = join(ROOT, 'node_modules', '.bin');
const SITE = 'plant-1';

/** A compose service's command as an argv for this machine: /config → deploy/config, secrets → dir. */
function commandOf(
  c: ComposeFile,
  service: string,
  secrets: string,
  replace: Array<[string, string]> = [],
): string[] {
  const cmd = c.services[service]?.command;
  if (!Array.isArray(cmd)) throw new Error(`${service}: command must be a list`);
  return cmd.map((arg) => {
    let a = arg
      .replaceAll('$$', '$')
      .replaceAll('/config/', `${CONFIG_DIR}/`)
      .replaceAll('/run/secrets/', `${secrets}/`);
    for (const [from, to] of replace) a = a.replaceAll(from, to);
    return a;
  });
}

async function influxQuery(
  url: string,
  q: string,
): Promise<{ series?: { tags?: Record<string, string>; values: unknown[][] }[]; error?: string }> {
  const r = await fetch(`${url}/query?db=thermogate&q=${encodeURIComponent(q)}`);
  const body = (await r.json()) as { results?: Array<{ series?: []; error?: string }>; error?: string };
  if (body.error) return { error: body.error };
  return body.results?.[0] ?? {};
}

describe('the compose topology as plain processes', () => {
  const compose = composeConfig();
  const dir = tempDir('tg-topology-');
  const secrets = join(dir, 'secrets');
  const credentials = join(dir, 'hub', 'credentials.json');
  const procs: Record<string, Tracked> = {};
  let influxd: Influxd;
  let edgeBundle: string | undefined;
  // Each port is taken right before the process that listens on it starts: a port found free
  // long before can meanwhile become some client connection's ephemeral port.
  type PortName = 'mqtt' | 'http' | 'opcua' | 'gpio1' | 'gpio2' | 'therm1' | 'therm2';
  const ports: Partial<Record<PortName, number>> = {};
  const port = (name: PortName): number => {
    const p = ports[name];
    if (p === undefined) throw new Error(`port ${name} not chosen yet`);
    return p;
  };
  const hubConfigFile = join(CONFIG_DIR, 'hub.yaml');

  const env = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^TG_(HUB|EDGE|DASH)__/.test(k))),
    PATH: `${BIN}:${process.env.PATH}`,
    LOG_LEVEL: 'info',
    ...extra,
  });
  const start = async (name: string, argv: string[], e: NodeJS.ProcessEnv, ready: () => Promise<boolean>) => {
    const [cmd, ...args] = argv as [string, ...string[]];
    const p = spawnTracked(cmd === 'tsx' ? join(BIN, 'tsx') : cmd, args, { cwd: ROOT, env: e });
    procs[name] = p;
    await awaitReady(p, ready, {
      name,
      what: `${name} ready`,
      timeoutMs: 60_000,
      intervalMs: 200,
      config: argv.join(' '),
    });
  };

  beforeAll(async () => {
    mkdirSync(join(dir, 'hub'), { recursive: true });
    influxd = await startInfluxd();
    // What the influxdb image's first start does for compose: INFLUXDB_DB, then every
    // deploy/influxdb/*.iql. The gates (manageSchema: false) never create either themselves.
    const influxEnv = compose.services.influxdb?.environment;
    await influxd.query(`CREATE DATABASE ${influxEnv?.INFLUXDB_DB}`);
    for (const f of readdirSync(join(ROOT, 'deploy', 'influxdb')).filter((x) => x.endsWith('.iql')))
      await influxd.query(readFileSync(join(ROOT, 'deploy', 'influxdb', f), 'utf8').trim());

    // The documented credentials step, with the hub CLI run directly instead of through compose.
    await run('bash', [join(ROOT, 'deploy', 'init-credentials.sh')], {
      cwd: ROOT,
      env: env({
        HUB_CLI: `${join(BIN, 'tsx')} site/cli.ts`,
        HUB_CREDENTIALS: credentials,
        SECRETS_DIR: secrets,
      }),
    });
    [ports.mqtt, ports.http, ports.opcua] = await freePorts(3);
    const hubEnv = env({
      TG_HUB__MQTT__HOST: '127.0.0.1',
      TG_HUB__MQTT__PORT: String(port('mqtt')),
      TG_HUB__CREDENTIALS_FILE: credentials,
      TG_HUB__PERSISTENCE_DIR: join(dir, 'hub'),
      TG_HUB__OPCUA__HOST: '127.0.0.1',
      TG_HUB__OPCUA__PORT: String(port('opcua')),
      TG_HUB__DASHBOARD_CONFIG_FILE: join(CONFIG_DIR, 'dashboard.yaml'),
      TG_DASH__HTTP__HOST: '127.0.0.1',
      TG_DASH__HTTP__PORT: String(port('http')),
      TG_DASH__DATA_DIR: join(dir, 'dashboard'),
      TG_DASH__MQTT__PASSWORD_FILE: join(secrets, 'dashboard_mqtt_password'),
      TG_DASH__READINGS__URL: influxd.url,
      TG_DASH__READINGS__PASSWORD_FILE: join(secrets, 'influx_dashboard_password'),
    });
    // HR's list, imported the documented way before the gates start (they get it from the hub).
    await run(
      join(BIN, 'tsx'),
      [
        'site/cli.ts',
        'access-list',
        'import',
        '--config',
        hubConfigFile,
        '--csv',
        join(CONFIG_DIR, 'access-list.example.csv'),
      ],
      { cwd: ROOT, env: hubEnv },
    );

    // The dashboard runs in the hub's process: the hub is up when both listen.
    await start(
      'hub',
      commandOf(compose, 'hub', secrets),
      hubEnv,
      async () => (await canConnect(port('mqtt'))) && (await canConnect(port('http'))),
    );

    for (const n of [1, 2] as const) {
      [ports[`gpio${n}`], ports[`therm${n}`]] = await freePorts(2);
      const edgeEnv = env({
        TG_EDGE__MQTT__URL: `mqtt://127.0.0.1:${port('mqtt')}`,
        TG_EDGE__MQTT__PASSWORD_FILE: join(secrets, `gate_${n}_mqtt_password`),
        TG_EDGE__DATA_DIR: join(dir, `edge-${n}`),
        TG_EDGE__THERMOMETER__PORT: `tcp://127.0.0.1:${port(`therm${n}`)}`,
        TG_EDGE__GPIO__SIM_HOST: '127.0.0.1',
        TG_EDGE__GPIO__SIM_PORT: String(port(`gpio${n}`)),
        TG_EDGE__STORAGE__SINK__URL: influxd.url,
      });
      // The gates run the image's dist/edge.mjs: here the same bundle, built into a temp tree.
      edgeBundle ??= (await buildShippedEdge()).bundle;
      const edgeCmd = commandOf(compose, `edge-${n}`, secrets, [['dist/edge.mjs', edgeBundle]]);
      await start(`edge-${n}`, edgeCmd, edgeEnv, () => canConnect(port(`gpio${n}`)));
      const sim = commandOf(compose, `sim-${n}`, secrets, [
        ['mqtt://hub:1883', `mqtt://127.0.0.1:${port('mqtt')}`],
        ['tcp::4001', `tcp:127.0.0.1:${port(`therm${n}`)}`],
        [`edge-${n}:4101`, `127.0.0.1:${port(`gpio${n}`)}`],
      ]);
      // The simulator is ready when its thermometer listens (it connects to the gate by itself).
      await start(`sim-${n}`, sim, env({}), () => canConnect(port(`therm${n}`)));
    }
  }, 240_000);

  afterAll(async () => {
    for (const name of ['sim-1', 'sim-2', 'edge-1', 'edge-2', 'hub'])
      await procs[name]?.stop('SIGTERM', 15_000);
    await influxd?.destroy();
  }, 60_000);

  const logs = () =>
    Object.entries(procs)
      .map(([n, p]) => `--- ${n} ---\n${tail(p.output(), 15)}`)
      .join('\n');

  it('readings of both gates land in InfluxDB, with passes (the access list reached the gates)', async () => {
    const q = `SELECT count("seq") FROM "reading" WHERE "decision" = 'pass' GROUP BY "gateId"`;
    const passes = async () => {
      const r = await influxQuery(influxd.url, q);
      return new Map((r.series ?? []).map((s) => [s.tags?.gateId, Number(s.values[0]?.[1])]));
    };
    await waitFor(async () => (await passes()).size === 2, {
      what: 'passes of gate-1 and gate-2 in InfluxDB',
      timeoutMs: 120_000,
      intervalMs: 1000,
    }).catch((e: Error) => {
      throw new Error(`${e.message}\n${logs()}`);
    });
    const got = await passes();
    expect(got.get('gate-1')).toBeGreaterThan(0);
    expect(got.get('gate-2')).toBeGreaterThan(0);
    // Written the way the storage README says: our retention policy is the default one.
    const rps = await influxQuery(influxd.url, 'SHOW RETENTION POLICIES ON "thermogate"');
    expect(rps.series?.[0]?.values.some((v) => v[0] === 'readings' && v.at(-1) === true)).toBe(true);
  }, 150_000);

  it('every query of the Grafana dashboard runs on that InfluxDB, and the per-gate panels show both gates', async () => {
    for (const d of dashboards)
      for (const pq of queries(d)) {
        const r = await influxQuery(influxd.url, expand(pq.query));
        expect(r.error, `${pq.where}: ${pq.query}`).toBeUndefined();
        if (/per gate/.test(pq.where))
          expect(new Set((r.series ?? []).map((s) => s.tags?.gateId)), pq.where).toEqual(
            pq.where.startsWith('Flagged') ? expect.any(Set) : new Set(['gate-1', 'gate-2']),
          );
      }
  });

  it("the hub's fleet shows both gates online, to the dashboard's credentials", async () => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port('mqtt')}`, {
      username: 'dashboard',
      password: readFileSync(join(secrets, 'dashboard_mqtt_password'), 'utf8').trim(),
      clientId: 'dashboard-topology-test',
      reconnectPeriod: 0,
    });
    try {
      let snapshot: FleetSnapshot | undefined;
      c.on('message', (_t, p) => {
        snapshot = FleetSnapshot.parse(JSON.parse(p.toString()));
      });
      await c.subscribeAsync(HubTopic.fleet(SITE), { qos: 0 });
      await waitFor(() => snapshot?.gates.filter((g) => g.online).length === 2, {
        what: 'both gates online in the fleet',
        timeoutMs: 20_000,
      });
      expect(snapshot?.gates.map((g) => g.gateId).sort()).toEqual(['gate-1', 'gate-2']);
      expect(snapshot?.gates.every((g) => g.accessListVersion === 1)).toBe(true);
    } finally {
      await c.endAsync();
    }
  }, 40_000);

  it('the dashboard in the hub process is healthy: logged in to the broker, reading InfluxDB', async () => {
    // What the compose health check of the hub asks (deploy/healthcheck.mjs on /healthz).
    const health = await waitFor(
      async () => {
        const r = await fetch(`http://127.0.0.1:${port('http')}/healthz`);
        return r.ok ? ((await r.json()) as { ok: boolean; mqtt: boolean; readings: boolean }) : null;
      },
      { what: 'dashboard /healthz 200', timeoutMs: 30_000 },
    );
    expect(health).toMatchObject({ ok: true, mqtt: true, readings: true });
    const r = await run(process.execPath, [
      join(ROOT, 'deploy', 'healthcheck.mjs'),
      `tcp://127.0.0.1:${port('mqtt')}`,
      `http://127.0.0.1:${port('http')}/healthz`,
    ]);
    expect(r.stderr).toBe('');
  }, 40_000);
});
