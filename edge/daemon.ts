/**
 * Builds one gate from its configuration: devices, storage, MQTT link and the Gate core, wired
 * together. The gate starts deciding at once, whether or not the broker, the database or the
 * thermometer is reachable; each of those reconnects on its own.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { SCHEMA_VERSION, type GateStatus } from '../protocols/gate/messages.ts';
import { FaceTopic, GateTopic, HubTopic } from '../protocols/topics.ts';
import { type Clock, steadyClock } from './clock.ts';
import { ClockCheck } from './clock-check.ts';
import type { EdgeConfig } from './config/schema.ts';
import { AccessList } from './core/access-list.ts';
import { SiteHolds } from './core/holds.ts';
import type { LoadOutcome } from './core/versioned-copy.ts';
import { SitePolicyCopy, siteRuleOverrides } from './core/site-policy.ts';
import { Gate } from './core/gate.ts';
import { GateIo } from './gpio/gate-io.ts';
import { createOnoffBackend } from './gpio/onoff-backend.ts';
import { SimGpioBackend } from './gpio/sim-backend.ts';
import type { GpioBackend } from './gpio/types.ts';
import { createLogger } from './log.ts';
import { MqttLink } from './mqtt/link.ts';
import { createRecorder } from './storage/recorder.ts';
import { createTerminalDriver } from './terminal/drivers.ts';
import type { TerminalDriver } from './terminal/types.ts';
import { startSystemdNotify } from './systemd-notify.ts';
import { buildThermometerDriver } from './thermometer/drivers.ts';
import type { ThermometerDriver } from './thermometer/types.ts';
import { transportFromUrl } from './transport/from-url.ts';

export const SOFTWARE_VERSION = '0.1.0';

export interface RunningEdge {
  gate: Gate;
  io: GateIo;
  link: MqttLink;
  thermometer: ThermometerDriver | undefined;
  /** The face terminal's driver (edge/terminal/drivers.ts, by terminal.protocol). */
  terminal: TerminalDriver;
  /** Port of the simulated GPIO line set, when that backend is used. */
  gpioSimPort: number | undefined;
  /** This gate's clock against the hub's (TG_EDGE_CLOCK_SKEW). */
  clockCheck: ClockCheck;
  stop(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  configPath?: string;
}

export async function startEdge(cfg: EdgeConfig, opts: StartOptions = {}): Promise<RunningEdge> {
  const log = createLogger(`edge:${cfg.siteId}/${cfg.gateId}`, process.env.LOG_LEVEL ?? cfg.logLevel);
  const clock =
    opts.clock ??
    steadyClock({
      onStep: (s) =>
        log.warn(
          { stepMs: s.stepMs, action: s.action },
          s.action === 'ignored'
            ? 'system clock stepped: bridged, followed only if it holds for a minute'
            : 'system clock step held: following it',
        ),
    });
  mkdirSync(cfg.dataDir, { recursive: true });

  const recorder = createRecorder(
    {
      outboxPath: join(cfg.dataDir, 'outbox.sqlite'),
      capacity: cfg.storage.outboxCapacity,
      policy: cfg.storage.outboxPolicy,
      diskReserveMB: cfg.storage.diskReserveMB,
      sink: cfg.storage.sink,
    },
    { clock, logger: log.child({ part: 'storage' }) },
  );
  // The persisted lists load without per-entry validation when their integrity stamp matches;
  // one that fails validation is not used, and its snapshot is fetched from the hub on connect.
  const logListLoad = (what: string, o: LoadOutcome) => {
    if (o.copy === 'rejected')
      log.error(
        { code: o.code, reason: o.reason },
        `${what}: persisted copy rejected; waiting for the hub's snapshot`,
      );
    else if (o.copy === 'validated')
      log.info({ entries: o.entries, why: o.why }, `${what}: persisted copy validated in full`);
  };
  // Whole entries only where the terminal's person list is kept in line with it (names, visitors);
  // otherwise the slim copy (who and when: 50,000 people in a few MB).
  const personSync = cfg.terminal.protocol === 'hik-isapi' && cfg.terminal.personSync.enabled;
  const accessListPath = join(cfg.dataDir, 'access-list.json');
  const accessList = new AccessList(accessListPath, { details: personSync });
  logListLoad('access list', accessList.load(cfg.accessListFile));
  // The site's holds and policy as last received: a restarted gate refuses a held person and
  // decides with the site's threshold before the hub answers (or while it is away).
  const holds = new SiteHolds(
    join(cfg.dataDir, 'holds.json'),
    join(cfg.dataDir, 'holds-local.json'),
    cfg.policy.localHoldExpiryMs,
  );
  logListLoad('holds', holds.load());
  const policy = new SitePolicyCopy(siteRuleOverrides(cfg), join(cfg.dataDir, 'site-policy.json'));
  policy.load();

  const backend: GpioBackend =
    cfg.gpio.backend === 'sim'
      ? await SimGpioBackend.listen({
          host: cfg.gpio.simHost,
          port: cfg.gpio.simPort,
          clock,
          log: log.child({ part: 'gpio' }),
        })
      : await createOnoffBackend({ lines: cfg.gpio.lines, log: log.child({ part: 'gpio' }) });
  const gpioSimPort = backend instanceof SimGpioBackend ? backend.port : undefined;
  const io = new GateIo({
    backend,
    clock,
    log: log.child({ part: 'gate-io' }),
    openMs: cfg.turnstile.openMs,
    lampMs: cfg.turnstile.lampMs,
    // onoff debounces in the kernel already.
    debounceMs: cfg.gpio.backend === 'onoff' ? 0 : 20,
  });

  const thermometer = buildThermometer(cfg, clock, log);

  const willStatus: GateStatus = {
    v: SCHEMA_VERSION,
    siteId: cfg.siteId,
    gateId: cfg.gateId,
    online: false,
    at: 0,
    thermometer: 'none',
    gateState: 'locked',
    softwareVersion: SOFTWARE_VERSION,
    configVersion: '',
    accessListVersion: null,
    policyVersion: null,
    policyOverrides: [],
    holdsVersion: null,
    listsRejected: [],
    terminalClockOffsetMs: null,
  };
  const link = new MqttLink(
    {
      url: cfg.mqtt.url,
      clientId: cfg.mqtt.clientId ?? `tg-edge-${cfg.siteId}-${cfg.gateId}`,
      ...(cfg.mqtt.username !== undefined ? { username: cfg.mqtt.username } : {}),
      ...(cfg.mqtt.password !== undefined ? { password: cfg.mqtt.password } : {}),
      ...(cfg.mqtt.caFile !== undefined ? { ca: readFileSync(cfg.mqtt.caFile, 'utf8') } : {}),
      will: {
        topic: GateTopic.status(cfg.siteId, cfg.gateId),
        payload: JSON.stringify(willStatus),
        qos: 1,
        retain: true,
      },
      reconnectMinMs: cfg.mqtt.reconnectMinMs,
      reconnectMaxMs: cfg.mqtt.reconnectMaxMs,
    },
    clock,
    log.child({ part: 'mqtt' }),
  );

  // One driver per terminal protocol, from one table: the gate decides the same for all.
  const terminal = createTerminalDriver({
    cfg,
    clock,
    log: log.child({ part: 'terminal' }),
    bus: link,
    ...(personSync ? { accessList: accessList.detailed() } : {}),
  });

  const gate = new Gate({
    cfg,
    clock,
    log: log.child({ part: 'gate' }),
    io,
    recorder,
    bus: link,
    accessList,
    holds,
    policy,
    terminalClockPath: join(cfg.dataDir, 'terminal-clock.json'),
    thermometerState: () => thermometer?.state ?? 'none',
    requestMeasurement: () => thermometer?.requestMeasurement(),
    softwareVersion: SOFTWARE_VERSION,
    configVersion: configVersion(opts.configPath),
    reply: terminal.reply,
    terminalStatus: () => terminal.status(),
    fetch: (topic) => link.fetch(topic),
  });

  thermometer?.on('measurement', (m) => gate.onMeasurement(m));
  thermometer?.on('targetLeft', (seenAt) => gate.onTargetLeft(seenAt));
  thermometer?.on('state', (s) => gate.onThermometerState(s));
  io.on('fireAlarm', (e) => gate.onFireAlarm(e.active));
  io.on('tailgating', () => gate.onTailgating());
  recorder.on('fill', (e) => gate.onOutboxFill(e));
  const eventTopic = FaceTopic.event(cfg.terminal.deviceId);
  const onDemand = gate.onDemandTopics();
  for (const [topic, handler] of gate.subscriptions())
    if (onDemand.has(topic)) link.onDemand(topic, (_t, p) => handler(p));
    else if (terminal.eventsOverMqtt || topic !== eventTopic) link.subscribe(topic, (_t, p) => handler(p));
  link.onConnect((c) => gate.onLinkUp(c));
  link.onDisconnect(() => gate.onLinkDown());
  const clockCheck = new ClockCheck({ siteId: cfg.siteId, clock, log, thresholdMs: cfg.clockSkewWarnMs });
  link.subscribe(HubTopic.clock(cfg.siteId), (_t, p) => clockCheck.onMessage(p));

  link.start();
  await terminal.start(gate);
  await thermometer?.start();
  if (io.fireAlarm) gate.onFireAlarm(true);
  const heartbeat = clock.setInterval(() => gate.publishHeartbeat(), cfg.heartbeatIntervalMs);
  const sweep = clock.setInterval(() => gate.sweep(), 1000);
  recorder.pruneEvents();
  const prune = clock.setInterval(() => recorder.pruneEvents(), 6 * 3600 * 1000);
  log.info(
    {
      thermometer: cfg.thermometer.protocol,
      port: cfg.thermometer.protocol === 'none' ? null : cfg.thermometer.port,
      terminal: cfg.terminal.deviceId,
      terminalProtocol: cfg.terminal.protocol,
      gpio: cfg.gpio.backend,
      gpioSimPort,
      sink: cfg.storage.sink.kind,
    },
    'gate started',
  );
  const systemd = startSystemdNotify({ log }); // READY and watchdog pings under systemd only

  let stopped = false;
  return {
    gate,
    io,
    link,
    thermometer,
    terminal,
    gpioSimPort,
    clockCheck,
    async stop() {
      if (stopped) return;
      stopped = true;
      systemd?.stop();
      heartbeat.cancel();
      sweep.cancel();
      prune.cancel();
      gate.publishStatus(false);
      await thermometer?.stop();
      await terminal.stop();
      await link.stop({ graceful: true });
      // A list change written off the event loop lands before the process ends (a failure was logged).
      await Promise.allSettled([accessList.persisted(), holds.persisted()]);
      io.close();
      await recorder.close();
      log.info('gate stopped');
    },
  };
}

function buildThermometer(
  cfg: EdgeConfig,
  clock: Clock,
  log: ReturnType<typeof createLogger>,
): ThermometerDriver | undefined {
  const t = cfg.thermometer;
  if (t.protocol === 'none') return undefined;
  const transport = transportFromUrl(t.port, { baudRate: t.baudRate, lock: t.lock });
  return buildThermometerDriver(t, { transport, clock, log: log.child({ part: 'thermometer' }) });
}

/** A short hash of the config file: fleet status shows which gates run which configuration. */
function configVersion(path: string | undefined): string {
  if (!path) return '';
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 12);
  } catch {
    return '';
  }
}
