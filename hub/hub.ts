/**
 * The site hub: an embedded MQTT broker (aedes) with per-device credentials, topic ACLs, payload
 * and rate limits and disk persistence; the fleet monitor; access list distribution. Built by
 * createHub(config) and started by listen(), so tests and the dashboard run it in-process.
 */
import { join } from 'node:path';
import { Aedes, type AedesPublishPacket, type Client } from 'aedes';
import {
  type AccessEntry,
  type AccessListSnapshot,
  AccessListSnapshot as AccessListSchema,
  accessKey,
} from '../protocols/gate/access-list.ts';
import { parseFaceStatus } from '../protocols/face-mqtt/index.ts';
import { DecisionMessage, GateStatus, Heartbeat } from '../protocols/gate/messages.ts';
import {
  HoldRequest,
  type HoldsSnapshot,
  HoldsSnapshot as HoldsSchema,
  type HubReply,
  holdKey,
  type PersonHold,
} from '../protocols/site/holds.ts';
import { PolicyRequest } from '../protocols/site/policy-request.ts';
import { SitePolicy } from '../protocols/site/policy.ts';
import type { FleetSnapshot, SecurityTotals } from '../protocols/hub/fleet.ts';
import { parsePayload } from '../protocols/parse.ts';
import {
  DashboardTopic,
  FaceTopic,
  GateTopic,
  HubTopic,
  parseFaceTopic,
  parseGateTopic,
  SiteTopic,
} from '../protocols/topics.ts';
import { ListDistributor } from './lists/distributor.ts';
import { type Outcome, SiteStore } from './site-store/store.ts';
import { AccessListStore, type ImportResult } from './access-list/store.ts';
import { startClockPublisher } from './clock/publisher.ts';
import { CredentialsStore } from './auth/credentials.ts';
import type { ClientCounters } from './broker/client-stats.ts';
import { BrokerGuard } from './broker/guard.ts';
import { type Listening, listen } from './broker/listeners.ts';
import { SessionExpiry } from './broker/session-expiry.ts';
import { SqlitePersistence } from './broker/sqlite-persistence.ts';
import { storeBeforeAck } from './broker/store-before-ack.ts';
import { accessListPath } from './config/load.ts';
import type { HubConfig } from './config/schema.ts';
import { type Clock, systemClock } from '../kernel/clock.ts';
import { HubErrorCode, Refusal } from './errors.ts';
import { type FleetAlert, FleetMonitor } from './fleet/monitor.ts';
import { SnapshotPacer } from './fleet/pacer.ts';
import { type HomeAssistantHandle, startHomeAssistant } from './homeassistant/index.ts';
import { createLogger, type Logger } from './log.ts';
import { brokerTap, type OpcuaServerHandle, startOpcua } from './opcua/index.ts';

export const SOFTWARE_VERSION = '0.1.0';
/**
 * Lifted holds stay in the list this long: a gate that was away for days still learns that the
 * fever it flagged itself was dealt with, and drops its own flag.
 */
const LIFTED_KEEP_MS = 14 * 24 * 3600_000;
const PRUNE_EVERY_MS = 3600_000;
/** Room for the topic and MQTT headers on top of the payload limit, for the frame guard. */
const FRAME_OVERHEAD_BYTES = 16 * 1024;

export interface HubOptions {
  log?: Logger;
  /**
   * Time for the fleet's ticks, the snapshot and clock publishers and every timestamp the hub
   * writes (default the system clock). Tests use a ManualClock, or `offsetClock` for a site whose
   * clock is off.
   */
  clock?: Clock;
}

export interface FleetApi {
  snapshot(): FleetSnapshot;
  /**
   * Calls `fn` with each snapshot the hub publishes (paced like the retained one:
   * `fleet.publishIntervalMs` for a device's state, `fleet.refreshIntervalMs` for times and
   * counters), shared by the listeners: read it, do not change it. Returns the unsubscribe function.
   */
  onChange(fn: (snapshot: FleetSnapshot) => void): () => void;
  onAlert(fn: (a: FleetAlert) => void): () => void;
}

export interface SecurityApi {
  clients(): ClientCounters[];
  client(clientId: string): ClientCounters | undefined;
  totals(): SecurityTotals;
}

export interface Hub {
  readonly config: HubConfig;
  /** Plain MQTT port once listening (undefined before, or with plaintext off). */
  readonly port: number | undefined;
  readonly tlsPort: number | undefined;
  listen(): Promise<{ port: number | undefined; tlsPort: number | undefined }>;
  fleet: FleetApi;
  security: SecurityApi;
  /** The site's person holds (opened by the hub on a gate's fever; lifted on request). */
  holds: {
    current(): HoldsSnapshot | null;
    /** Applies a request as the dashboard's would be applied, and publishes the change. */
    request(req: HoldRequest): Promise<Outcome>;
  };
  policy: {
    current(): SitePolicy;
    set(req: Pick<PolicyRequest, 'baseVersion' | 'rules' | 'calendar' | 'by'>): Promise<Outcome>;
  };
  accessList: {
    current(): AccessListSnapshot | null;
    /** Validates and imports HR's CSV, then publishes it. Throws TG_HUB_ACCESS_LIST_INVALID with every bad line. */
    importCsv(csv: Uint8Array | string): Promise<ImportResult>;
    /** Puts entries in on top of the current list (AccessListStore.putEntries), then publishes it. */
    putEntries(
      entries: readonly AccessEntry[],
      o?: { dropVisitorsEndedBefore?: number },
    ): Promise<ImportResult>;
  };
  /** Publishes as the hub itself (no ACL, no limits): for the dashboard in the same process. */
  publish(topic: string, payload: string | Buffer, opts?: { qos?: 0 | 1; retain?: boolean }): Promise<void>;
  /** The OPC UA server once listening, when `opcua.enabled`. */
  readonly opcua: { endpointUrl: string } | undefined;
  /** Messages queued in persistent sessions (SQLite). */
  queuedMessages(): number;
  connectedClients(): number;
  close(): Promise<void>;
}

/** Whether a decision message's reading says `flagged`, read from its JSON without validating it. */
function saysFlagged(payload: Buffer): boolean {
  try {
    const m = JSON.parse(payload.toString('utf8')) as { reading?: { decision?: unknown } } | null;
    return m?.reading?.decision === 'flagged';
  } catch {
    return false;
  }
}

export async function createHub(config: HubConfig, opts: HubOptions = {}): Promise<Hub> {
  const log = opts.log ?? createLogger(`hub:${config.siteId}`, process.env.LOG_LEVEL ?? config.logLevel);
  const clock = opts.clock ?? systemClock;
  const now = () => clock.now();
  const site = config.siteId;
  const startedAt = now();

  const credentials = new CredentialsStore(config.credentialsFile).load();
  let broker: Aedes | undefined;
  const guard = new BrokerGuard({
    siteId: site,
    credentials,
    limits: config.limits,
    log: log.child({ part: 'guard' }),
    now,
    connectedClients: () => broker?.connectedClients ?? 0,
    knownPairsPath: join(config.persistenceDir, 'login-addresses.json'),
  });
  const persistence = new SqlitePersistence({
    path: join(config.persistenceDir, 'broker.sqlite'),
    acceptSubscription: (clientId, topic) => guard.subscriptionAllowed(clientId, topic),
    now,
    onCheckpointerFailure: (err) =>
      log.error(
        { code: HubErrorCode.CHECKPOINT_FAILED, err },
        'background WAL checkpoint failed; checkpointing in commits',
      ),
  });
  // aedes publishes the wills of a previous run's clients after 4 broker heartbeats: tie that to
  // the fleet's own timeout, so a gate that never came back is reported in about that time.
  const heartbeatInterval = Math.max(1000, Math.floor(config.fleet.heartbeatTimeoutMs / 4));
  const hooks = guard.hooks();
  const b = await Aedes.createBroker({
    id: `tg-hub-${site}-${process.pid}-${startedAt}`,
    persistence,
    heartbeatInterval,
    keepaliveLimit: config.limits.keepaliveLimitS,
    maxClientsIdLength: 128,
    // A subscriber that stops reading must not stall delivery to everybody else for long.
    drainTimeout: 10_000,
    concurrency: config.limits.deliveryConcurrency,
    ...hooks,
    authorizePublish: storeBeforeAck(hooks.authorizePublish, persistence, log),
  });
  broker = b;
  // Persistent sessions of devices that never come back, or were revoked, are dropped.
  const clients = (b as unknown as { clients: Record<string, Client | undefined> }).clients;
  const sessions = new SessionExpiry({
    persistence,
    credentials,
    expiryMs: config.limits.sessionExpiryDays * 86_400_000,
    isConnected: (id) => !!clients[id]?.connected,
    log,
    now,
  });
  b.on('client', (c: Client) => sessions.connected(c.id));
  b.on('clientDisconnect', (c: Client) => {
    sessions.disconnected(c.id);
    guard.forget(c);
    log.debug({ clientId: c.id }, 'client disconnected');
  });
  b.on('clientError', (c: Client, err: Error) =>
    log.debug({ clientId: c.id, err: err.message }, 'client error'),
  );
  b.on('connectionError', (_c: Client, err: Error) => log.debug({ err: err.message }, 'connection error'));
  // Persistence errors surface here; without a listener an 'error' event would end the process.
  b.on('error' as 'closed', ((err: Error) => log.error({ err: err.message }, 'broker error')) as () => void);

  let closing = false;
  const publish = (topic: string, payload: string | Buffer, o: { qos?: 0 | 1; retain?: boolean } = {}) =>
    new Promise<void>((resolve, reject) => {
      if (closing) return resolve();
      const packet = {
        cmd: 'publish' as const,
        topic,
        payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
        qos: o.qos ?? 1,
        retain: o.retain ?? false,
        dup: false,
      };
      b.publish(packet, (err?: Error) => (err ? reject(err) : resolve()));
    });

  // --- access list ---
  const store = new AccessListStore(accessListPath(config));
  const distributor = new ListDistributor<AccessEntry>(
    {
      what: 'access list',
      schema: AccessListSchema,
      key: accessKey,
      snapshotTopic: SiteTopic.accessList(site),
      changeTopic: SiteTopic.accessListChanges(site),
      read: () => store.read(),
    },
    publish,
    log.child({ part: 'access-list' }),
  );

  // --- person holds and the site policy ---
  const siteStore = new SiteStore(join(config.persistenceDir, 'site.sqlite'), now);
  const holds = new ListDistributor<PersonHold>(
    {
      what: 'holds',
      schema: HoldsSchema,
      key: holdKey,
      snapshotTopic: SiteTopic.holds(site),
      changeTopic: SiteTopic.holdsChanges(site),
      read: () => siteStore.holdsSnapshot(),
    },
    publish,
    log.child({ part: 'holds' }),
    // Changes at QoS 0, the last one retained: a gate coming back gets it when it subscribes again
    // and applies it, or sees a gap and fetches the snapshot (edge/core/site-lists.ts), so nothing
    // waits in its session. At QoS 1 each change was a queued row, a packet id and a PUBACK for
    // each of 1,000 gates, once a second while fevers came: the slowest verdicts of the scale
    // bench were all behind it (bench/NOTES.md § Scale, fifth round).
    { minGapMs: config.limits.holdsChangeGapMs, clock, change: { qos: 0, retain: true } },
  );
  let publishedPolicy = 0;
  const publishPolicy = async () => {
    const p = siteStore.policy();
    if (p.version <= publishedPolicy) return;
    await publish(SiteTopic.policy(site), JSON.stringify(p), { qos: 1, retain: true });
    publishedPolicy = p.version;
    log.info({ version: p.version, by: p.issuedBy, rules: p.rules }, 'site policy published');
  };
  const reply = (id: string, o: Outcome) => {
    const r: HubReply = {
      v: 1,
      id,
      ok: o.ok,
      code: o.ok ? null : o.code,
      error: o.ok ? null : o.error,
      version: o.ok ? o.version : null,
      at: now(),
    };
    publish(HubTopic.reply(site), JSON.stringify(r), { qos: 1 }).catch((e) =>
      log.warn({ err: (e as Error).message }, 'reply not published'),
    );
  };
  const applyHoldRequest = async (req: HoldRequest): Promise<Outcome> => {
    const o = siteStore.request(req);
    log.info(
      { action: req.action, employeeNo: req.employeeNo, by: req.by, ok: o.ok, code: o.ok ? null : o.code },
      'hold request',
    );
    if (o.ok) await holds.poll();
    return o;
  };
  const applyPolicyRequest = async (
    req: Pick<PolicyRequest, 'baseVersion' | 'rules' | 'calendar' | 'by'>,
  ) => {
    const o = siteStore.setPolicy(req);
    log.info({ by: req.by, ok: o.ok, code: o.ok ? null : o.code }, 'policy request');
    if (o.ok) await publishPolicy();
    return o;
  };
  /**
   * A gate flagged a person: the hub opens the hold at every gate of the site by itself, so a site
   * whose dashboard is down (or that runs none) is protected too.
   */
  const onDecision = (gateId: string, payload: Buffer) => {
    // Nearly every decision is a pass: only one whose reading says flagged is validated in full
    // (zod on every decision was 5 % of the hub's CPU at 1,000 gates, bench/NOTES.md sixth round).
    // The field read here is the one the validated message carries (an enum, not transformed).
    if (!saysFlagged(payload)) return;
    const r = parsePayload(DecisionMessage, payload);
    if (!r.ok) return;
    const { reading } = r.value;
    if (reading.decision !== 'flagged' || !reading.employeeNo) return;
    const room =
      r.value.isolationRoom && r.value.isolationRoomName
        ? { id: r.value.isolationRoom, name: r.value.isolationRoomName }
        : null;
    try {
      const opened = siteStore.flag({
        employeeNo: reading.employeeNo,
        name: r.value.name,
        gateId,
        readingId: reading.id,
        temperatureTenths: reading.temperatureTenths,
        room,
        at: reading.at,
      });
      if (opened) {
        log.warn(
          { employeeNo: reading.employeeNo, gateId, readingId: reading.id },
          'person hold: fever flagged',
        );
        void holds.poll();
      }
    } catch (e) {
      log.error({ code: (e as { code?: string }).code, err: (e as Error).message }, 'hold not recorded');
    }
  };
  const onRequest = (topic: string, payload: Buffer) => {
    if (topic === DashboardTopic.holdRequest(site)) {
      const r = parsePayload(HoldRequest, payload);
      if (!r.ok) return log.warn({ code: r.error.code, reason: r.error.message }, 'hold request rejected');
      void applyHoldRequest(r.value).then((o) => reply(r.value.id, o));
    } else if (topic === DashboardTopic.policyRequest(site)) {
      const r = parsePayload(PolicyRequest, payload);
      if (!r.ok) {
        log.warn({ code: r.error.code, reason: r.error.message }, 'policy request rejected');
        const id = (() => {
          try {
            return String((JSON.parse(payload.toString('utf8')) as { id?: unknown }).id ?? '');
          } catch {
            return '';
          }
        })();
        if (id)
          reply(id.slice(0, 64), { ok: false, code: HubErrorCode.REQUEST_INVALID, error: r.error.message });
        return;
      }
      void applyPolicyRequest(r.value).then((o) => reply(r.value.id, o));
    }
  };

  // --- fleet ---
  const fleet = new FleetMonitor({
    siteId: site,
    heartbeatTimeoutMs: config.fleet.heartbeatTimeoutMs,
    isConnected: (clientId) => {
      const c = (b as unknown as { clients: Record<string, Client | undefined> }).clients[clientId];
      return !!c && c.connected;
    },
    hubInfo: () => ({ startedAt, softwareVersion: SOFTWARE_VERSION, connectedClients: b.connectedClients }),
    accessList: () => {
      const a = distributor.current();
      return a ? { version: a.version, issuedAt: a.issuedAt, entries: a.entries.length } : null;
    },
    security: () => guard.stats.totals,
  });
  const topology = () =>
    fleet.setTopology(
      credentials
        .list()
        .filter((d) => d.role === 'gate' && d.site === site && d.revokedAt === null)
        .map((d) => ({ gateId: d.gate as string, terminalId: d.terminal ?? null })),
      credentials
        .list()
        .filter((d) => d.role === 'terminal' && d.revokedAt === null)
        .map((d) => d.id),
      now(),
    );
  topology();

  const onGateMessage = (topic: string, payload: Buffer, seeding: boolean) => {
    const t = parseGateTopic(topic);
    if (!t || t.siteId !== site) return;
    if (t.kind === 'status') {
      const r = parsePayload(GateStatus, payload);
      if (!r.ok)
        return log.warn({ topic, code: r.error.code, reason: r.error.message }, 'bad gate status ignored');
      // The topic says who it is (the ACL guarantees it); the payload could say anything.
      const s = { ...r.value, gateId: t.gateId };
      if (seeding) fleet.seedGateStatus(s, now());
      else fleet.onGateStatus(s, now());
    } else if (t.kind === 'heartbeat') {
      const r = parsePayload(Heartbeat, payload);
      if (!r.ok)
        return log.warn({ topic, code: r.error.code, reason: r.error.message }, 'bad heartbeat ignored');
      fleet.onHeartbeat({ ...r.value, gateId: t.gateId }, now());
    } else if (t.kind === 'decision') {
      fleet.onDecision(t.gateId, now());
      if (!seeding) onDecision(t.gateId, payload);
    }
  };
  const onFaceStatus = (topic: string, payload: Buffer, seeding: boolean) => {
    const t = parseFaceTopic(topic);
    if (t?.kind !== 'status') return;
    // The protocol's one status parser (it also takes the quoted "online" some firmwares send).
    const r = parseFaceStatus(payload);
    if (!r.ok)
      return log.warn({ topic, code: r.error.code, reason: r.error.message }, 'bad terminal status ignored');
    if (seeding) fleet.seedTerminalStatus(t.deviceId, r.value === 'online', now());
    else fleet.onTerminalStatus(t.deviceId, r.value === 'online', now());
  };

  // Seed from what the previous run left retained, then listen to everything new in-process.
  const retained = persistence.createRetainedStreamCombi([
    GateTopic.every(site, 'status'),
    FaceTopic.every('status'),
    SiteTopic.accessList(site),
    SiteTopic.holds(site),
    SiteTopic.policy(site),
  ]);
  let retainedAccessList: Buffer | undefined;
  let retainedHolds: Buffer | undefined;
  for await (const p of retained as AsyncIterable<{ topic: string; payload: Buffer }>) {
    if (p.topic === SiteTopic.accessList(site)) retainedAccessList = p.payload;
    else if (p.topic === SiteTopic.holds(site)) retainedHolds = p.payload;
    else if (p.topic === SiteTopic.policy(site)) {
      const r = parsePayload(SitePolicy, p.payload);
      if (r.ok) publishedPolicy = r.value.version;
    } else if (p.topic.startsWith('face/')) onFaceStatus(p.topic, p.payload, true);
    else onGateMessage(p.topic, p.payload, true);
  }
  const internal: Array<[string, (packet: AedesPublishPacket, cb: () => void) => void]> = [
    [
      GateTopic.allGates(site),
      (p, cb) => {
        onGateMessage(p.topic, p.payload as Buffer, false);
        cb();
      },
    ],
    [
      FaceTopic.status('+'),
      (p, cb) => {
        onFaceStatus(p.topic, p.payload as Buffer, false);
        cb();
      },
    ],
    ...[DashboardTopic.holdRequest(site), DashboardTopic.policyRequest(site)].map(
      (topic) =>
        [
          topic,
          (p: AedesPublishPacket, cb: () => void) => {
            onRequest(p.topic, p.payload as Buffer);
            cb();
          },
        ] as [string, (packet: AedesPublishPacket, cb: () => void) => void],
    ),
  ];
  for (const [topic, fn] of internal) await new Promise<void>((r) => b.subscribe(topic, fn, r));
  await distributor.start(retainedAccessList);
  await holds.start(retainedHolds);
  await publishPolicy();

  // Fleet snapshot: retained, QoS 0, and to the in-process listeners (OPC UA, Home Assistant); a
  // device's state within publishIntervalMs, its times and counters within refreshIntervalMs
  // (hub/fleet/pacer.ts). The listeners got a snapshot of their own at every change before: at
  // 1,000 gates, a copy of 2,000 devices per passage.
  const snapshotListeners = new Set<(s: FleetSnapshot) => void>();
  const pacer = new SnapshotPacer({
    clock,
    intervalMs: config.fleet.publishIntervalMs,
    refreshMs: config.fleet.refreshIntervalMs,
    publish: () => {
      if (closing) return;
      // Serialised at once: no copy of the entries needed (hub/fleet/monitor.ts snapshot).
      publish(HubTopic.fleet(site), JSON.stringify(fleet.snapshot(now(), false)), {
        qos: 0,
        retain: true,
      }).catch((e) => log.warn({ err: (e as Error).message }, 'fleet snapshot not published'));
      if (snapshotListeners.size === 0) return;
      const snapshot = fleet.snapshot(now());
      for (const fn of snapshotListeners) fn(snapshot);
    },
  });
  fleet.on('change', (material) => pacer.changed(material));
  fleet.on('alert', ({ topic, alert }) => {
    log.warn({ gateId: alert.gateId, active: alert.active, detail: alert.detail }, 'fleet alert');
    publish(topic, JSON.stringify(alert), { qos: 1 }).catch((e) =>
      log.warn({ err: (e as Error).message }, 'alert not published'),
    );
  });
  pacer.publishNow();
  const clockPublisher = startClockPublisher({
    siteId: site,
    intervalMs: config.clockIntervalMs,
    clock,
    publish,
    log,
  });

  const tick = clock.setInterval(
    () => {
      fleet.tick(now());
      guard.sweep();
      sessions.sweep();
    },
    Math.min(1000, config.fleet.heartbeatTimeoutMs / 4),
  );
  let lastPrune = 0;
  const watch = clock.setInterval(() => {
    try {
      if (credentials.reloadIfChanged()) {
        log.info({ devices: credentials.list().length }, 'credentials reloaded');
        guard.kickRevoked();
        sessions.purgeRevoked();
        topology();
      }
    } catch (e) {
      log.error(
        { code: (e as { code?: string }).code, err: (e as Error).message },
        'credentials file invalid; keeping the previous one',
      );
    }
    void distributor.poll();
    // The CLI may have changed holds or the policy in the site store.
    void holds.poll();
    void publishPolicy().catch((e) => log.warn({ err: (e as Error).message }, 'policy not published'));
    if (now() - lastPrune > PRUNE_EVERY_MS) {
      lastPrune = now();
      if (siteStore.prune(LIFTED_KEEP_MS) > 0) void holds.poll();
    }
  }, config.watchIntervalMs);

  let listening: Listening | undefined;
  let opcua: OpcuaServerHandle | undefined;
  let ha: HomeAssistantHandle | undefined;
  const hub: Hub = {
    config,
    get port() {
      return listening?.port;
    },
    get tlsPort() {
      return listening?.tlsPort;
    },
    async listen() {
      if (!listening) {
        listening = await listen(b, {
          host: config.mqtt.host,
          port: config.mqtt.port,
          plaintext: config.mqtt.plaintext,
          tls: config.mqtt.tls,
          maxPacketBytes: config.limits.maxPayloadBytes + FRAME_OVERHEAD_BYTES,
          socketBufferBytes: config.limits.socketBufferBytes,
          onOversizedFrame: (clientId, bytes) => {
            guard.stats.totals.oversized++;
            if (clientId) {
              const c = guard.stats.refused(clientId, Refusal.PAYLOAD_TOO_LARGE, null, now());
              c.oversized++;
            }
            log.warn(
              { code: Refusal.PAYLOAD_TOO_LARGE, clientId, bytes },
              'packet too large: connection closed',
            );
          },
          log,
        });
        const sessions = await persistence.countOffline();
        log.info(
          {
            port: listening.port,
            tlsPort: listening.tlsPort,
            site,
            persistence: config.persistenceDir,
            queued: persistence.queuedCount(),
            sessions: sessions.clientsCount,
          },
          'hub listening',
        );
      }
      if (config.opcua?.enabled && !opcua)
        opcua = await startOpcua(config.opcua, {
          ...brokerTap(b, persistence),
          siteId: site,
          timeZone: config.timezone,
          persistenceDir: config.persistenceDir,
          softwareVersion: SOFTWARE_VERSION,
          log: log.child({ part: 'opcua' }),
          now,
          publish: (topic, payload, o) => publish(topic, payload, o),
          fleet: hub.fleet,
        });
      if (config.homeAssistant?.enabled && !ha)
        ha = await startHomeAssistant(config.homeAssistant, {
          ...brokerTap(b, persistence),
          siteId: site,
          timeZone: config.timezone,
          softwareVersion: SOFTWARE_VERSION,
          log: log.child({ part: 'homeassistant' }),
          now,
          publish,
          fleet: hub.fleet,
        });
      return { port: listening.port, tlsPort: listening.tlsPort };
    },
    get opcua() {
      return opcua ? { endpointUrl: opcua.endpointUrl } : undefined;
    },
    fleet: {
      snapshot: () => fleet.snapshot(now()),
      onChange(fn) {
        snapshotListeners.add(fn);
        return () => snapshotListeners.delete(fn);
      },
      onAlert(fn) {
        fleet.on('alert', fn);
        return () => fleet.off('alert', fn);
      },
    },
    security: {
      clients: () => guard.stats.all().map((c) => structuredClone(c)),
      client: (id) => {
        const c = guard.stats.get(id);
        return c ? structuredClone(c) : undefined;
      },
      totals: () => ({ ...guard.stats.totals }),
    },
    holds: {
      current: () => holds.current() as HoldsSnapshot | null,
      request: (req) => applyHoldRequest(req),
    },
    policy: {
      current: () => siteStore.policy(),
      set: (req) => applyPolicyRequest(req),
    },
    accessList: {
      current: () => distributor.current() as AccessListSnapshot | null,
      async importCsv(csv) {
        const bytes = typeof csv === 'string' ? Buffer.from(csv, 'utf8') : csv;
        const result = store.importCsv(bytes, { timeZone: config.timezone, now: now() });
        await distributor.poll();
        return result;
      },
      async putEntries(entries, o = {}) {
        const result = store.putEntries(entries, { ...o, now: now() });
        await distributor.poll();
        return result;
      },
    },
    publish: (topic, payload, o) => publish(topic, payload, o),
    queuedMessages: () => persistence.queuedCount(),
    connectedClients: () => b.connectedClients,
    async close() {
      if (closing) return;
      await ha?.close(); // before `closing`: it still publishes HA's "offline"
      closing = true;
      clockPublisher.stop();
      tick.cancel();
      watch.cancel();
      pacer.stop();
      await opcua?.close();
      await listening?.close();
      await new Promise<void>((r) => b.close(() => r()));
      // Wills published while clients were closed finish their writes on the next turns.
      await new Promise((r) => setTimeout(r, 20));
      await persistence.destroy();
      siteStore.close();
      log.info('hub stopped');
    },
  };
  return hub;
}
