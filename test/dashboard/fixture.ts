/**
 * Dashboard test helpers: a config on a temp data dir, the app built on the real modules (the
 * real alerts service, a recording manual-readings sink, a recording publish), a manual clock,
 * three accounts (guard1, hr1, admin1) and logged-in request helpers for inject().
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyPluginAsync, LightMyRequestResponse } from 'fastify';
import { createAlertsService } from '../../dashboard/alerts/index.ts';
import type { ManualReadingSink } from '../../dashboard/alerts/types.ts';
import { parseDashboardConfig } from '../../dashboard/config/load.ts';
import type { DashboardConfig, DashboardConfigInput } from '../../dashboard/config/schema.ts';
import { type Db, openDatabase } from '../../dashboard/db/open.ts';
import { silentLogger } from '../../dashboard/log.ts';
import { buildApp, type DashboardApp } from '../../dashboard/server/app.ts';
import { type Core, createCore } from '../../dashboard/server/core.ts';
import { rosterLookup } from '../../dashboard/site/roster-lookup.ts';
import type { SiteAdmin } from '../../dashboard/server/site-admin.ts';
import type { FleetSnapshot } from '../../protocols/hub/fleet.ts';
import { ManualClock } from '../../kernel/clock.ts';
import {
  type AlertMessage,
  type DecisionMessage,
  type ReadingRecord,
  SCHEMA_VERSION,
} from '../../protocols/gate/messages.ts';

export const SITE = 'site-1';
/** scrypt's cheap end: keeps logins fast in tests (production uses N=16384). */
export const FAST_SCRYPT = { N: 1024, r: 8, p: 1 };
export const PASSWORD = 'correct-horse-9';
export const T0 = Date.UTC(2026, 2, 2, 2, 0, 0); // 10:00 in Asia/Shanghai

export type RoleName = 'guard' | 'hr' | 'admin';
export const USERS: Record<RoleName, string> = { guard: 'guard1', hr: 'hr1', admin: 'admin1' };

/** The kernel's manual clock from T0, with `now` bound (passed around as `clock.now`). */
export class Clock extends ManualClock {
  constructor(t = T0) {
    super(t);
  }
  override now = (): number => super.now();
}

export function tempDir(prefix = 'tg-dash-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function testConfig(dir: string, patch: Partial<DashboardConfigInput> = {}): DashboardConfig {
  return parseDashboardConfig({
    siteId: SITE,
    siteName: 'Test site',
    dataDir: join(dir, 'dash'),
    mqtt: { url: 'mqtt://127.0.0.1:9', username: 'dash', password: 'pw' },
    readings: { kind: 'sqlite', path: join(dir, 'readings.sqlite') },
    rooms: [{ id: 'r1', name: 'Room 1', distances: { 'gate-a': 10 } }],
    logLevel: 'silent',
    ...patch,
  });
}

export interface Creds {
  cookie: string;
  csrf: string;
}

export interface TestApp {
  app: DashboardApp;
  core: Core;
  db: Db;
  clock: Clock;
  config: DashboardConfig;
  dir: string;
  published: Array<{ topic: string; payload: string; opts: { qos: 0 | 1; retain?: boolean } }>;
  manual: ReadingRecord[];
  login(role: RoleName): Promise<Creds>;
  call(
    who: Creds | null,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface AppOptions {
  dir?: string;
  config?: Partial<DashboardConfigInput>;
  /** A whole config instead of the test config patched with `config` (its dataDir is used). */
  configured?: DashboardConfig;
  clock?: Clock;
  siteAdmin?: SiteAdmin;
  plugins?: FastifyPluginAsync[];
  /** Create guard1/hr1/admin1 (default true; skip when reopening a data dir). */
  seedUsers?: boolean;
  feedHeartbeatMs?: number;
  feedLagWindowMs?: number;
}

export async function startApp(o: AppOptions = {}): Promise<TestApp> {
  const dir = o.dir ?? tempDir();
  const config = o.configured ?? testConfig(dir, o.config);
  const clock = o.clock ?? new Clock();
  const db = openDatabase(config.dataDir);
  const log = silentLogger();
  const published: TestApp['published'] = [];
  const manual: ReadingRecord[] = [];
  const sink: ManualReadingSink = {
    write: async (r) => {
      manual.push(r);
    },
  };
  const publish = (topic: string, payload: string, opts: { qos: 0 | 1; retain?: boolean }) =>
    published.push({ topic, payload, opts });
  const core = createCore({
    config,
    db,
    now: clock.now,
    log,
    publish,
    scrypt: FAST_SCRYPT,
    ...(o.feedHeartbeatMs ? { feedHeartbeatMs: o.feedHeartbeatMs } : {}),
    ...(o.feedLagWindowMs ? { feedLagWindowMs: o.feedLagWindowMs } : {}),
    makeAlerts: ({ audit, gates, site, board }) =>
      createAlertsService({
        db,
        siteId: config.siteId,
        now: clock.now,
        publish,
        readings: sink,
        seedRooms: config.rooms,
        escalateAfterMs: config.alerts.escalateAfterMs,
        episodeWindowMs: config.alerts.episodeWindowMs,
        webhooks: [],
        audit: audit.fn,
        gates,
        policy: () => site.policy(),
        holds: site,
        person: rosterLookup(() => board.roster()),
        log,
      }),
  });
  if (o.seedUsers !== false)
    for (const [role, username] of Object.entries(USERS) as Array<[RoleName, string]>)
      if (!core.users.get(username)) await core.users.create({ username, password: PASSWORD, role });
  const app = await buildApp({
    config,
    db,
    now: clock.now,
    log,
    ...core,
    siteAdmin: o.siteAdmin,
    health: async () => ({ mqtt: false, readings: true }),
    plugins: o.plugins ?? [],
  });

  const call: TestApp['call'] = (who, method, url, body, headers = {}) =>
    app.inject({
      method,
      url,
      headers: {
        ...(who ? { cookie: who.cookie, 'x-csrf-token': who.csrf } : {}),
        ...headers,
      },
      ...(body === undefined
        ? {}
        : typeof body === 'string'
          ? { payload: body }
          : { payload: body as object }),
    });
  return {
    app,
    core,
    db,
    clock,
    config,
    dir,
    published,
    manual,
    call,
    async login(role) {
      const r = await app.inject({
        method: 'POST',
        url: '/api/login',
        payload: { username: USERS[role], password: PASSWORD },
      });
      if (r.statusCode !== 200) throw new Error(`login ${role}: ${r.statusCode} ${r.body}`);
      return { cookie: sessionCookie(r), csrf: r.json().csrfToken };
    },
    async close() {
      await app.close();
      core.close();
      db.close();
    },
  };
}

/** `tg_session=...` from a login answer. */
export function sessionCookie(r: LightMyRequestResponse): string {
  const c = r.cookies.find((x) => x.name === 'tg_session');
  if (!c) throw new Error('no tg_session cookie');
  return `tg_session=${c.value}`;
}

let serial = 0;

export function reading(o: Partial<ReadingRecord> = {}): ReadingRecord {
  serial++;
  const gateId = o.gateId ?? 'gate-a';
  return {
    v: SCHEMA_VERSION,
    id: `${SITE}:${gateId}:${serial}:${Math.random().toString(36).slice(2, 8)}`,
    siteId: SITE,
    gateId,
    seq: serial,
    at: T0,
    recordedAt: T0,
    employeeNo: 'E1',
    temperatureTenths: 365,
    rawTenths: 363,
    offsetTenths: 2,
    ambientTenths: 240,
    source: 'gate-thermometer',
    sensor: 'modbus-ir',
    sensorSeq: serial,
    decision: 'pass',
    reason: 'ok',
    mask: 'yes',
    pairingDelayMs: 100,
    terminalId: 'T1',
    terminalSerialNo: serial,
    realtime: true,
    released: true,
    enteredBy: null,
    policyVersion: null,
    thresholdTenths: null,
    ...o,
  };
}

export function decision(o: Partial<ReadingRecord> = {}, name = '张伟'): DecisionMessage {
  return { v: SCHEMA_VERSION, reading: reading(o), name, display: 'ok', isolationRoom: null };
}

export function feverAlert(d: DecisionMessage): AlertMessage {
  const r = d.reading;
  return {
    v: SCHEMA_VERSION,
    id: `${r.id}:fever`,
    siteId: r.siteId,
    gateId: r.gateId,
    kind: 'fever',
    severity: 'critical',
    at: r.at,
    active: true,
    employeeNo: r.employeeNo,
    name: d.name,
    temperatureTenths: r.temperatureTenths,
    readingId: r.id,
    detail: 'fever',
  };
}

/** Hands a message to the dashboard as if it came from the broker. */
export function wire(core: Core, topic: string, payload: unknown): void {
  core.onMessage(topic, Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)));
}

/** A hub fleet snapshot of these gates. */
export function fleet(gates: Array<{ gateId: string; online: boolean }>, at = T0): FleetSnapshot {
  return {
    v: SCHEMA_VERSION,
    siteId: SITE,
    at,
    hub: { startedAt: T0 - 60_000, softwareVersion: '0.1.0', connectedClients: 3 },
    accessList: { version: 4, issuedAt: T0 - 1000, entries: 2 },
    gates: gates.map((g) => ({
      gateId: g.gateId,
      online: g.online,
      offlineReason: g.online ? null : 'last-will',
      since: T0 - 1000,
      lastSeenAt: T0 - 500,
      lastHeartbeatAt: T0 - 500,
      lastDecisionAt: null,
      thermometer: 'online',
      gateState: 'locked',
      softwareVersion: '0.1.0',
      configVersion: 'c1',
      accessListVersion: 4,
      policyVersion: null,
      policyOverrides: [],
      holdsVersion: null,
      listsRejected: [],
      terminalClockOffsetMs: null,
      outbox: { depth: 7, oldestAgeS: 3 },
      counters: null,
      uptimeS: 100,
      terminalId: 'T1',
    })),
    terminals: [],
    activeAlerts: [],
    security: {
      authFailures: 0,
      refusedPublishes: 0,
      refusedSubscribes: 0,
      oversized: 0,
      throttled: 0,
      rateDisconnects: 0,
    },
  };
}
