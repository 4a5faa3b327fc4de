/**
 * docker-compose.yml, the Dockerfile and the secrets layout, checked without a Docker engine:
 * Debian's docker-compose (v1) validates and normalises the file; the rest is read from it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  COMPOSE_FILE,
  type ComposeFile,
  composeConfig,
  CONFIG_DIR,
  DOCKER_COMPOSE,
  mounts,
  ROOT,
  secretNames,
  strings,
} from './paths.ts';

const OUR_SERVICES = ['hub', 'edge-1', 'edge-2', 'sim-1', 'sim-2'];
const STATEFUL: Record<string, string> = {
  influxdb: '/var/lib/influxdb',
  hub: '/data',
  'edge-1': '/data',
  'edge-2': '/data',
  grafana: '/var/lib/grafana',
};

describe('docker-compose.yml', () => {
  if (!existsSync(DOCKER_COMPOSE))
    throw new Error(
      `${DOCKER_COMPOSE} not found: apt-get install -y --no-install-recommends docker-compose (test/run.sh does it as root)`,
    );
  const c: ComposeFile = composeConfig();

  it('is valid for docker-compose (config -q)', () => {
    execFileSync(DOCKER_COMPOSE, ['-f', COMPOSE_FILE, 'config', '-q'], { cwd: ROOT, stdio: 'pipe' });
  });

  it('runs the whole site: influxdb 1.8, the hub, two gates with simulators, grafana', () => {
    expect(Object.keys(c.services).sort()).toEqual(
      ['edge-1', 'edge-2', 'grafana', 'hub', 'influxdb', 'sim-1', 'sim-2'].sort(),
    );
    expect(c.services.influxdb?.image).toMatch(/^influxdb:1\.8/);
    expect(c.services.grafana?.image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
    for (const s of OUR_SERVICES) expect(c.services[s]?.image, s).toMatch(/^thermogate:/);
  });

  it('publishes MQTT, the dashboard, OPC UA and Grafana; InfluxDB only on this host unless asked', () => {
    // docker-compose v1 prints `host_ip:published:target/proto` or { published, target }.
    const published = (svc: string) =>
      (c.services[svc]?.ports ?? []).map((p) => {
        if (typeof p === 'string') return p.replace(/\/tcp$/, '');
        const o = p as { host_ip?: string; published: number; target: number };
        return [o.host_ip, o.published, o.target].filter((x) => x !== undefined).join(':');
      });
    expect(published('hub')).toEqual(['1883:1883', '8080:8080', '4840:4840']);
    expect(published('grafana')).toEqual(['3000:3000']);
    expect(published('influxdb')).toEqual(['127.0.0.1:8086:8086']);
    for (const s of ['edge-1', 'edge-2', 'sim-1', 'sim-2']) expect(published(s), s).toEqual([]);
  });

  it('restarts every service and health-checks every one a probe cannot disturb', () => {
    for (const [name, s] of Object.entries(c.services)) {
      expect(s.restart, name).toBe('unless-stopped');
      // The simulators' thermometers serve one connection at a time: a probe would take the gate's place.
      if (name.startsWith('sim-')) expect(s.healthcheck?.test, name).toEqual(['NONE']);
      else expect(s.healthcheck?.test?.length, name).toBeGreaterThan(1);
    }
  });

  it('keeps every piece of state in a named volume', () => {
    for (const [name, target] of Object.entries(STATEFUL)) {
      const v = mounts(c.services[name] ?? {}).find((x) => x.target === target);
      expect(v?.type, `${name}: ${target}`).toBe('volume');
      expect(Object.keys(c.volumes)).toContain(v?.source);
    }
    // Configuration is mounted read-only from deploy/; nothing else of the host is.
    for (const name of ['hub', 'edge-1', 'edge-2'])
      expect(mounts(c.services[name] ?? {}).filter((m) => m.type === 'bind')).toEqual([
        { type: 'bind', source: CONFIG_DIR, target: '/config', readOnly: true },
      ]);
  });

  it('takes secrets from files in deploy/secrets, with an example for each, ignored by git', () => {
    for (const [name, s] of Object.entries(c.secrets)) {
      expect(s.file, name).toBe(join(ROOT, 'deploy', 'secrets', name));
      expect(existsSync(`${s.file}.example`), `${name}.example`).toBe(true);
      const ignored = execFileSync('git', ['check-ignore', '-q', s.file], { cwd: ROOT, stdio: 'pipe' });
      expect(ignored).toBeDefined(); // exit 0 = ignored; a tracked-able secret makes this throw
    }
    // No password is ever a literal in the compose file: only files (…__FILE, FILE__…) carry them.
    for (const [name, s] of Object.entries(c.services))
      for (const key of Object.keys(s.environment ?? {}))
        if (/PASSWORD|SECRET|TOKEN/.test(key)) expect(key, `${name}: ${key}`).toMatch(/(__FILE$|^FILE__)/);
  });

  it('mounts into each service every secret its configuration files name', () => {
    const configOf = (s: string): string[] => {
      const cmd = c.services[s]?.command;
      const files = [
        ...String(Array.isArray(cmd) ? cmd.join(' ') : cmd).matchAll(/\/config\/([\w.-]+\.yaml)/g),
      ].map((m) => join(CONFIG_DIR, m[1] as string));
      // The hub also loads the dashboard's file (dashboardConfigFile).
      for (const f of [...files]) {
        const dash = (parseYaml(readFileSync(f, 'utf8')) as { dashboardConfigFile?: string })
          .dashboardConfigFile;
        if (dash) files.push(join(CONFIG_DIR, dash.replace(/^\/config\//, '')));
      }
      return files;
    };
    for (const s of ['hub', 'edge-1', 'edge-2']) {
      const files = configOf(s);
      expect(files.length, s).toBeGreaterThan(0);
      for (const f of files) {
        for (const v of strings(parseYaml(readFileSync(f, 'utf8'))))
          for (const m of v.matchAll(/^\/run\/secrets\/(\w+)$/g))
            expect(secretNames(c.services[s] ?? {}), `${s} (${f})`).toContain(m[1]);
      }
      // FILE__X=/run/secrets/y variables of the image's entry point name a mounted secret too.
      for (const [k, v] of Object.entries(c.services[s]?.environment ?? {}))
        if (k.startsWith('FILE__'))
          expect(secretNames(c.services[s] ?? {})).toContain(String(v).split('/').pop());
    }
    // The simulators read their terminal's password from its secret.
    for (const s of ['sim-1', 'sim-2'])
      for (const m of String(c.services[s]?.command).matchAll(/\/run\/secrets\/(\w+)/g))
        expect(secretNames(c.services[s] ?? {})).toContain(m[1]);
  });

  it('gives each service the InfluxDB user its job needs and no service the admin password', () => {
    // The intent (edge/storage/README.md, least privilege): gates WRITE, the dashboard in the hub
    // process ALL on the database (reads reports, writes manual re-checks), Grafana READ.
    const intended: Record<string, string[]> = {
      influxdb: [
        'influx_admin_password',
        'influx_dashboard_password',
        'influx_gate_password',
        'influx_read_password',
      ],
      hub: ['influx_dashboard_password'],
      'edge-1': ['influx_gate_password'],
      'edge-2': ['influx_gate_password'],
      grafana: ['influx_read_password'],
    };
    for (const [name, svc] of Object.entries(c.services))
      expect(
        secretNames(svc)
          .filter((x) => x.startsWith('influx_'))
          .sort(),
        name,
      ).toEqual((intended[name] ?? []).sort());
    const env = c.services.influxdb?.environment ?? {};
    expect(env).toMatchObject({ INFLUXDB_WRITE_USER: 'gate_writer', INFLUXDB_USER: 'dashboard' });
    for (const g of ['gate-1.yaml', 'gate-2.yaml']) {
      const sink = (
        parseYaml(readFileSync(join(CONFIG_DIR, g), 'utf8')) as {
          storage: { sink: Record<string, unknown> };
        }
      ).storage.sink;
      // A write-only user cannot create the policy: the first start's deploy/influxdb/*.iql does.
      expect(sink, g).toMatchObject({ username: 'gate_writer', manageSchema: false });
    }
    expect(c.services.influxdb?.volumes?.map(String).join(' ')).toContain('/docker-entrypoint-initdb.d');
  });

  it('builds from the Dockerfile: node 20 slim, production deps only, non-root, no secrets in the context', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim AS deps$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    const stages = dockerfile.match(/^FROM .*$/gm) ?? [];
    expect(stages.at(-1)).toBe('FROM node:20-bookworm-slim');
    // tsx runs the services: it must be a production dependency, or --omit=dev leaves it out.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.dependencies.tsx).toBeDefined();
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(ignore).toContain('deploy/secrets');
    expect(ignore).toContain('node_modules');
    expect(dockerfile).not.toMatch(/COPY\s+(\.\s|deploy\/secrets|deploy\/config)/);
  });
});
