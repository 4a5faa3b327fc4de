/**
 * InfluxDB least privilege (issue #20) against a real influxd with `auth-enabled = true`: the
 * database, retention policy and users are made by the admin with the very statements
 * edge/storage/README.md documents; then the gate's storage, built from an edge config as the
 * daemon builds it (usernameFile / passwordFile, manageSchema), writes with a user that has WRITE
 * on that database only. With manageSchema true the same user cannot create the schema: the
 * forwarder reports TG_STORE_PRIVILEGE and keeps the readings, nothing throws.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxReadingStore } from '../../dashboard/store/influx-store.ts';
import { createManualReadingSink } from '../../dashboard/store/manual-sink.ts';
import { parseEdgeConfig } from '../../edge/config/load.ts';
import { StorageError } from '../../edge/storage/errors.ts';
import { InfluxSink } from '../../edge/storage/influx-sink.ts';
import { createRecorder, type DurableRecorder } from '../../edge/storage/recorder.ts';
import { type Influxd, startInfluxd } from '../harness/influxd.ts';
import { waitFor } from '../harness/wait.ts';
import { newReading, record } from './records.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const ADMIN = { username: 'admin', password: 'admin-pw-7f3k' };
const PASSWORDS: Record<string, string> = {
  GATE_WRITER_PASSWORD: 'gw-pw-19sk',
  DASHBOARD_PASSWORD: 'db-pw-42qa',
  GRAFANA_PASSWORD: 'gf-pw-88zz',
};
const WRITER = { username: 'gate_writer', password: PASSWORDS.GATE_WRITER_PASSWORD as string };
const ALL = { from: 0, to: Date.UTC(2100, 0, 1) };
const silent = pino({ level: 'silent' });
const FAST = { lingerMs: 10, backoffMinMs: 50, backoffMaxMs: 200, probeIntervalMs: 50, writeTimeoutMs: 5000 };

/** The InfluxQL block of edge/storage/README.md, one statement a line, passwords filled in. */
function documentedStatements(): string[] {
  const readme = readFileSync(join(ROOT, 'edge/storage/README.md'), 'utf8');
  const block = /<!-- least-privilege-statements -->\s*```sql\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('edge/storage/README.md: the least-privilege statements block is gone');
  return block
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('--'))
    .map((l) => l.replace(/'([A-Z_]+)'/g, (_, k: string) => `'${PASSWORDS[k] ?? k}'`));
}

let influxd: Influxd;
let dir: string;
const recorders: DurableRecorder[] = [];

beforeAll(async () => {
  influxd = await startInfluxd({ auth: ADMIN });
  dir = mkdtempSync(join(tmpdir(), 'tg-influx-lp-'));
  for (const q of documentedStatements()) await influxd.query(q);
});
afterAll(async () => {
  for (const r of recorders) await r.close().catch(() => {});
  await influxd?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The gate's recorder from an edge config's storage section, as edge/daemon.ts builds it. */
function gateRecorder(name: string, sink: Record<string, unknown>): DurableRecorder {
  const cfg = parseEdgeConfig({
    siteId: 'site-a',
    gateId: 'gate-1',
    dataDir: join(dir, name),
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    thermometer: { protocol: 'none' },
    terminal: { deviceId: 'T1', temperatureSource: 'terminal' },
    storage: { sink: { kind: 'influx', url: influxd.url, database: 'thermogate', ...sink } },
  });
  const rec = createRecorder(
    { outboxPath: join(dir, `${name}.sqlite`), sink: cfg.storage.sink, forwarder: FAST },
    { logger: silent },
  );
  recorders.push(rec);
  return rec;
}

function credentialFiles(name: string, user: string, password: string) {
  const usernameFile = join(dir, `${name}.user`);
  const passwordFile = join(dir, `${name}.pw`);
  writeFileSync(usernameFile, `${user}\n`, { mode: 0o600 });
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  return { usernameFile, passwordFile };
}

describe('a gate with WRITE on one database only', () => {
  it('the documented setup: the writer may not do admin things, Grafana may only read', async () => {
    await expect(influxd.query('CREATE DATABASE other', WRITER)).rejects.toThrow(/admin privilege/);
    await expect(influxd.query('SHOW RETENTION POLICIES ON thermogate', WRITER)).rejects.toThrow(/READ/);
  });

  it('manageSchema false: readings reach InfluxDB with credentials read from files', async () => {
    const rec = gateRecorder('lp', {
      manageSchema: false,
      ...credentialFiles('lp', WRITER.username, WRITER.password),
    });
    const base = Date.now() - 60_000;
    const written = Array.from({ length: 20 }, (_, i) => rec.record(newReading({ at: base + i * 100 })));
    await waitFor(() => rec.stats().depth === 0, {
      what: 'the outbox drained into InfluxDB',
      timeoutMs: 15_000,
    });
    expect(rec.stats().lastError).toBeNull();

    // The dashboard (READ + WRITE) reads them and stores a manual reading; Grafana (READ) reads.
    const dashboardPw = join(dir, 'dashboard.pw');
    writeFileSync(dashboardPw, PASSWORDS.DASHBOARD_PASSWORD as string, { mode: 0o600 });
    const manual = createManualReadingSink({
      kind: 'influx',
      url: influxd.url,
      database: 'thermogate',
      username: 'dashboard',
      passwordFile: dashboardPw,
    });
    const handheld = record(1, {
      gateId: 'manual',
      at: base + 5000,
      source: 'handheld',
      decision: 'manual',
      enteredBy: 'guard',
    });
    await manual.write(handheld);
    for (const [username, password] of [
      ['dashboard', PASSWORDS.DASHBOARD_PASSWORD],
      ['grafana', PASSWORDS.GRAFANA_PASSWORD],
    ] as const) {
      const store = new InfluxReadingStore({ url: influxd.url, database: 'thermogate', username, password });
      expect((await store.readingsByGate({ gateId: 'gate-1', ...ALL })).map((r) => r.id)).toEqual(
        written.map((r) => r.id),
      );
    }
  });

  it('manageSchema true with the same user: TG_STORE_PRIVILEGE, readings kept, no crash', async () => {
    const rec = gateRecorder('admin-mode', {
      manageSchema: true,
      ...credentialFiles('admin-mode', WRITER.username, WRITER.password),
    });
    rec.record(newReading({ at: Date.now() - 1000 }));
    await waitFor(() => rec.stats().lastError === 'TG_STORE_PRIVILEGE', {
      what: 'the forwarder reporting TG_STORE_PRIVILEGE',
      timeoutMs: 10_000,
    });
    expect(rec.stats().depth).toBe(1);
    // The message says what to do.
    const err = await new InfluxSink({ url: influxd.url, database: 'thermogate', ...WRITER })
      .init()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ code: 'TG_STORE_PRIVILEGE' });
    expect((err as Error).message).toMatch(/manageSchema: false/);
  });

  it('manageSchema false: no WRITE on the database, or no database, are coded errors', async () => {
    await influxd.query("CREATE DATABASE elsewhere; CREATE USER other_writer WITH PASSWORD 'ow-pw'");
    await influxd.query('GRANT WRITE ON elsewhere TO other_writer');
    const r = record(7, { at: Date.now() - 1000 });
    const noGrant = new InfluxSink({
      url: influxd.url,
      database: 'thermogate',
      username: 'other_writer',
      password: 'ow-pw',
      manageSchema: false,
    });
    await noGrant.init(); // issues nothing
    await expect(noGrant.write([r])).rejects.toMatchObject({
      code: 'TG_STORE_PRIVILEGE',
      message: expect.stringMatching(/GRANT WRITE ON "thermogate"/),
    });
    const noDb = new InfluxSink({ url: influxd.url, database: 'missing_db', ...WRITER, manageSchema: false });
    await expect(noDb.write([r])).rejects.toMatchObject({ code: 'TG_STORE_MISSING' });
    // Nothing was created on the writer's behalf (the admin can see).
    expect(JSON.stringify(await influxd.query('SHOW DATABASES'))).not.toMatch(/missing_db/);
    const wrongPw = new InfluxSink({ url: influxd.url, ...WRITER, password: 'nope', manageSchema: false });
    await expect(wrongPw.write([r])).rejects.toMatchObject({ code: 'TG_STORE_AUTH' });
  });
});
