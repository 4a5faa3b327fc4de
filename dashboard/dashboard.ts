/**
 * `createDashboard(config, opts)`: the whole dashboard in one process. Opens `<dataDir>/dashboard.db`
 * and the readings store, builds the modules and the fastify app, connects to the broker as the
 * site's dashboard device, feeds everything it hears to the modules and ticks them every second.
 *
 *   const d = await createDashboard(config, { siteAdmin });
 *   const { port } = await d.start();
 *   ...
 *   await d.close();
 */
import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import { createAlertsService } from './alerts/index.ts';
import type { ManualReadingSink } from './alerts/types.ts';
import type { ScryptParams } from './auth/password.ts';
import { checkFiles } from './config/load.ts';
import type { DashboardConfig } from './config/schema.ts';
import { openDatabase } from './db/open.ts';
import { createLogger, type Logger } from './log.ts';
import { reportRoutes } from './reports/index.ts';
import { buildApp, type DashboardApp } from './server/app.ts';
import { type Core, createCore } from './server/core.ts';
import type { SiteAdmin } from './server/site-admin.ts';
import { createReadingStore, type ReadingStore, type StoreConfig } from './store/index.ts';
import { rosterLookup } from './site/roster-lookup.ts';
import { createManualReadingSink, type ManualSink } from './store/manual-sink.ts';
import { connectMqtt, type MqttLink } from './wire/mqtt-link.ts';
import { type Clock, systemClock, type Timer } from '../kernel/clock.ts';

export interface DashboardOptions {
  /** The hub's admin functions (access list import, devices); without it those routes answer 503. */
  siteAdmin?: SiteAdmin;
  log?: Logger;
  /** Time and every timer of the dashboard (default the system clock). */
  clock?: Clock;
  /** More route plugins (the web pages are always registered by buildApp). */
  plugins?: FastifyPluginAsync[];
  /** Where handheld re-checks and manual readings go (default: createManualReadingSink(config.readings)). */
  manualSink?: ManualReadingSink;
  /** For escalation webhooks (default global fetch). */
  fetch?: typeof fetch;
  /** Cheaper password hashing for tests. */
  scrypt?: ScryptParams;
  /** Heartbeat comments on the live feed (default 15 s). */
  feedHeartbeatMs?: number;
  /** Broker reconnect pause (default 1 s). */
  mqttReconnectMs?: number;
}

export interface Dashboard {
  app: DashboardApp;
  core: Core;
  store: ReadingStore;
  config: DashboardConfig;
  /** Connects to the broker and listens on config.http; port 0 picks a free one. */
  start(): Promise<{ port: number }>;
  /** Resolves once subscribed to the site's topics (after start). */
  mqttReady(): Promise<void>;
  readonly mqttConnected: boolean;
  close(): Promise<void>;
}

function storeConfig(c: DashboardConfig): StoreConfig {
  const r = c.readings;
  if (r.kind === 'sqlite') return { kind: 'sqlite', path: r.path };
  return {
    kind: 'influx',
    url: r.url,
    database: r.database,
    ...(r.logMeasurement ? { logMeasurement: true } : {}),
    ...(r.username ? { username: r.username } : {}),
    ...(r.passwordFile ? { password: readFileSync(r.passwordFile, 'utf8').trim() } : {}),
  };
}

/** A readings store that answers a trivial query within 2 s counts as up. */
async function readingsUp(store: ReadingStore, clock: Clock): Promise<boolean> {
  let timer: Timer | undefined;
  const now = clock.now();
  try {
    return await Promise.race([
      store.decisionCounts({ from: now, to: now + 1 }).then(() => true),
      new Promise<boolean>((r) => {
        timer = clock.setTimeout(() => r(false), 2000);
      }),
    ]);
  } catch {
    return false;
  } finally {
    timer?.cancel();
  }
}

export async function createDashboard(
  parsed: DashboardConfig,
  opts: DashboardOptions = {},
): Promise<Dashboard> {
  // A config from parseDashboardConfig (site/site.ts) has not read its password file yet.
  const config = checkFiles(parsed);
  const log = opts.log ?? createLogger('dashboard', config.logLevel);
  const clock = opts.clock ?? systemClock;
  const now = () => clock.now();
  const db = openDatabase(config.dataDir);
  const liveDb = openDatabase(config.dataDir, { synchronous: 'NORMAL' });
  const store = createReadingStore(storeConfig(config), {
    timeZone: config.timezone,
    split: config.reports.split,
  });
  const ownSink: ManualSink | null = opts.manualSink
    ? null
    : createManualReadingSink(config.readings, { retentionDays: config.reports.retentionDays });
  const manual = (opts.manualSink ?? ownSink) as ManualReadingSink & Partial<Pick<ManualSink, 'writeMany'>>;
  let link: MqttLink | null = null;
  const publish = (topic: string, payload: string, o: { qos: 0 | 1; retain?: boolean }) => {
    if (link) link.publish(topic, payload, o);
    else log.warn({ topic }, 'publish before the broker link exists: dropped');
  };

  const core = createCore({
    config,
    db,
    liveDb,
    now,
    clock,
    log,
    publish,
    mqttConnected: () => link?.connected ?? false,
    ...(opts.scrypt ? { scrypt: opts.scrypt } : {}),
    ...(opts.feedHeartbeatMs ? { feedHeartbeatMs: opts.feedHeartbeatMs } : {}),
    makeAlerts: ({ audit, gates, site, board }) =>
      createAlertsService({
        db,
        siteId: config.siteId,
        now,
        publish,
        readings: manual,
        seedRooms: config.rooms,
        escalateAfterMs: config.alerts.escalateAfterMs,
        episodeWindowMs: config.alerts.episodeWindowMs,
        webhooks: config.alerts.webhooks,
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
        audit: audit.fn,
        gates,
        policy: () => site.policy(),
        holds: site,
        person: rosterLookup(() => board.roster()),
        language: config.language,
        siteName: config.siteName,
        timeZone: config.timezone,
        log,
      }),
  });

  const reports = reportRoutes({
    store,
    manual,
    audit: core.audit.fn,
    config,
    roster: () => core.board.roster(),
    policy: () => core.site.policy(),
    alerts: core.alerts,
    openHold: (by, body) => core.site.openHold(by, body),
    ...(opts.siteAdmin ? { siteAdmin: opts.siteAdmin } : {}),
    names: {
      gate: (id) => config.gateNames[id],
      room: (id) => core.alerts.rooms().find((r) => r.id === id)?.name,
      user: (username) => core.users.get(username)?.displayName,
    },
    db,
    now,
    clock,
    log,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });

  const app = await buildApp({
    config,
    db,
    now,
    log,
    ...core,
    siteAdmin: opts.siteAdmin,
    health: async () => ({ mqtt: link?.connected ?? false, readings: await readingsUp(store, clock) }),
    plugins: [reports, ...(opts.plugins ?? [])],
  });

  let ticker: Timer | null = null;
  let ticking = false;
  let closed = false;

  return {
    app,
    core,
    store,
    config,
    get mqttConnected() {
      return link?.connected ?? false;
    },
    mqttReady: () => link?.ready ?? Promise.reject(new Error('start() the dashboard first')),
    async start() {
      link = connectMqtt({
        config,
        log,
        clock,
        onMessage: core.onMessage,
        onConnect: () => core.alerts.republish(),
        ...(opts.mqttReconnectMs ? { reconnectPeriodMs: opts.mqttReconnectMs } : {}),
      });
      ticker = clock.setInterval(() => {
        if (ticking) return; // a slow webhook must not pile up ticks
        ticking = true;
        core
          .tick()
          .catch((e) => log.error({ err: e }, 'tick failed'))
          .finally(() => {
            ticking = false;
          });
      }, 1000);
      await app.listen({ host: config.http.host, port: config.http.port });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.http.port;
      log.info({ port, site: config.siteId }, 'dashboard listening');
      return { port };
    },
    async close() {
      if (closed) return;
      closed = true;
      ticker?.cancel();
      await app.close();
      core.close();
      await link?.close();
      await store.close();
      await ownSink?.close();
      liveDb.close();
      db.close();
    },
  };
}
