/**
 * The dashboard's modules wired together around one database, without the network: what
 * createDashboard runs and what tests build apps from. The alerts service is made by the caller
 * (the real one in production, a fake in some unit tests) once audit and the gate list exist.
 */
import type { AlertsService } from '../alerts/types.ts';
import { AuditLog } from '../audit/audit-log.ts';
import type { ScryptParams } from '../auth/password.ts';
import { SessionStore } from '../auth/sessions.ts';
import { UserStore } from '../auth/users.ts';
import { CommandService } from '../commands/commands.ts';
import type { DashboardConfig } from '../config/schema.ts';
import type { Db } from '../db/open.ts';
import { LiveFeed } from '../feed/live-feed.ts';
import { FeedStore } from '../feed/store.ts';
import type { Logger } from '../log.ts';
import { DashboardMetrics } from '../metrics/metrics.ts';
import { SiteService } from '../site/service.ts';
import { GateBoard } from '../wire/gate-board.ts';
import { createWireRouter } from '../wire/router.ts';
import { type Clock, systemClock } from '../../kernel/clock.ts';

export type Publish = (topic: string, payload: string, opts: { qos: 0 | 1; retain?: boolean }) => void;

export interface CoreOptions {
  config: DashboardConfig;
  db: Db;
  /** The same database through a synchronous=NORMAL connection, for the feed and tile counters (db/open.ts). */
  liveDb?: Db;
  now: () => number;
  /** The timers of the feed and of waits for the hub (default: the system's timers, with `now`). */
  clock?: Clock;
  log: Logger;
  publish: Publish;
  mqttConnected?: () => boolean;
  makeAlerts: (d: {
    audit: AuditLog;
    gates: () => string[];
    site: SiteService;
    board: GateBoard;
  }) => AlertsService;
  scrypt?: ScryptParams;
  feedHeartbeatMs?: number;
  /** The window over which the feed's lag is judged (default 2 s; tests shorten it). */
  feedLagWindowMs?: number;
}

export interface Core {
  users: UserStore;
  sessions: SessionStore;
  audit: AuditLog;
  board: GateBoard;
  alerts: AlertsService;
  commands: CommandService;
  feed: LiveFeed;
  metrics: DashboardMetrics;
  /** The hub's site policy and person holds, and the requests to the hub. */
  site: SiteService;
  /** Hands an MQTT message to the modules (never throws). */
  onMessage: (topic: string, payload: Buffer) => void;
  /** Once a second: escalations, command time-outs. */
  tick: () => Promise<void>;
  close: () => void;
}

export function createCore(o: CoreOptions): Core {
  const { config, db, now, log } = o;
  const clock: Clock = o.clock ?? { ...systemClock, now };
  const liveDb = o.liveDb ?? db;
  const users = new UserStore(db, { now, ...(o.scrypt ? { scrypt: o.scrypt } : {}) });
  const sessions = new SessionStore(db, { idleMs: config.session.idleMinutes * 60_000, now });
  const audit = new AuditLog(db, now);
  const board = new GateBoard(liveDb, {
    timeZone: config.timezone,
    now,
    onWriteError: (err, passages) =>
      log.error(
        { code: 'TG_DASH_PASSAGES_NOT_WRITTEN', err, passages },
        "the tiles' passages were not written",
      ),
  });
  const site = new SiteService({
    db,
    siteId: config.siteId,
    clock,
    publish: o.publish,
    log,
    audit: audit.fn,
    replyTimeoutMs: config.hub.replyTimeoutMs,
    retryEveryMs: config.hub.retryEveryMs,
  });
  const alerts = o.makeAlerts({ audit, gates: () => board.gateIds(), site, board });
  const commands = new CommandService({
    db,
    siteId: config.siteId,
    now,
    ackTimeoutMs: config.commands.ackTimeoutMs,
    publish: o.publish,
    audit: audit.fn,
  });
  const feedStore = new FeedStore(liveDb, config.feed.keepEvents, (err, events) =>
    log.error({ code: 'TG_DASH_FEED_NOT_WRITTEN', err, events }, 'live feed events were not written'),
  );
  const feed = new LiveFeed(feedStore, {
    clock,
    heartbeatMs: o.feedHeartbeatMs ?? 15_000,
    ...(o.feedLagWindowMs ? { lagWindowMs: o.feedLagWindowMs } : {}),
    snapshot: () => {
      const f = board.currentFleet();
      return f ? [{ type: 'fleet', data: f }] : [];
    },
    sessionAlive: (idHash) => sessions.lookupHash(idHash) !== undefined,
  });
  const metrics = new DashboardMetrics({
    board,
    alerts,
    commands,
    feedClients: () => feed.clientCount,
    mqttConnected: o.mqttConnected ?? (() => false),
  });
  const unsubscribe = [
    alerts.onAlertChange((a) => feed.publish('alert', a)),
    alerts.onRoomsChange((rooms) => feed.publish('rooms', rooms)),
    commands.onChange((c) => feed.publish('command', c)),
    site.state.onHoldsChanged((holds) => feed.publish('holds', { version: site.state.holdsVersion, holds })),
  ];
  const onMessage = createWireRouter({
    siteId: config.siteId,
    alerts,
    feed,
    board,
    commands,
    metrics,
    site,
    log,
  });
  let lastPrune = now();
  return {
    users,
    sessions,
    audit,
    board,
    alerts,
    commands,
    feed,
    metrics,
    site,
    onMessage,
    async tick() {
      commands.tick();
      site.requests.tick();
      await alerts.tick();
      if (now() - lastPrune > 3_600_000) {
        lastPrune = now();
        board.pruneOldDays();
        sessions.purgeExpired();
      }
    },
    close() {
      for (const u of unsubscribe) u();
      feed.close();
      board.close();
      alerts.close();
      site.close();
    },
  };
}
