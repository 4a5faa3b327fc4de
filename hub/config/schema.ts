/**
 * The hub's configuration. Validated at start: a bad file stops the hub with the key path and the
 * reason (exit 2) before anything listens.
 */
import { isTimeZone, TIME_ZONE_MESSAGE } from '../../protocols/time-zone.ts';
import { z } from 'zod';
import { ID_PATTERN } from '../../protocols/topics.ts';
import { HomeAssistantConfig } from '../homeassistant/config.ts';
import { OpcuaConfig } from '../opcua/config.ts';

const Id = z
  .string()
  .regex(ID_PATTERN, 'letters, digits, "_" or "-" (1 to 64): it becomes part of MQTT topics');
const Port = z.number().int().min(0).max(65535);

const Tls = z.strictObject({
  host: z.string().min(1).optional(),
  /** 0 = any free port (tests). */
  port: Port.default(8883),
  certFile: z.string().min(1),
  keyFile: z.string().min(1),
});

export const Limits = z.strictObject({
  /** Largest PUBLISH payload accepted from a client; larger ones close its connection. */
  maxPayloadBytes: z
    .number()
    .int()
    .min(256)
    .max(256 * 1024 * 1024)
    .default(64 * 1024),
  /** Sustained publishes per second per client (token bucket rate). */
  publishRatePerSec: z.number().positive().max(1_000_000).default(100),
  /** Bucket size: how many publishes a client may send at once before it is slowed down. */
  publishBurst: z.number().int().min(1).default(500),
  /**
   * The dashboard publishes for the whole site (alert states, one isolation plan per gate): its own
   * rate and burst, so a burst of fevers at a big site never throttles or cuts it off.
   */
  dashboardPublishRatePerSec: z.number().positive().max(1_000_000).default(2000),
  dashboardPublishBurst: z.number().int().min(1).default(10_000),
  /** A client that is further behind its rate than this is disconnected instead of slowed. */
  maxThrottleDelayMs: z.number().int().min(0).max(60_000).default(2000),
  /** ... and refused reconnection this long. */
  cooldownMs: z.number().int().min(0).max(3_600_000).default(10_000),
  maxConnections: z.number().int().min(1).default(5000),
  /**
   * Failed logins per minute per remote address before further tries from it are refused outright
   * (CONNACK 3); successes never count. See kernel/auth-throttle.ts and docs/SECURITY.md.
   */
  authFailuresPerMinute: z.number().int().min(1).default(30),
  /**
   * Failed logins per minute per username (from any address). Once spent, only addresses with no
   * recent failure are still checked: a stranger's failures never lock the device out.
   */
  authFailuresPerAccountPerMinute: z.number().int().min(1).default(30),
  /** Password checks (scrypt) in flight at once per username; more are answered throttled. */
  authConcurrentPerAccount: z.number().int().min(1).max(1000).default(2),
  /** Password checks in flight at once in all: bounds the CPU a burst of logins can take. */
  authConcurrentTotal: z.number().int().min(1).max(10_000).default(16),
  /**
   * A persistent session (clean session = 0) whose client has not been connected for this many days
   * is dropped with its subscriptions and queued messages (hub/broker/session-expiry.ts). Devices
   * that are merely offline for a long weekend keep theirs; revoked devices lose theirs at once.
   */
  sessionExpiryDays: z.number().positive().max(3650).default(7),
  /** Seconds: a client asking for a longer keepalive (or none) is refused; 0 = no limit. */
  keepaliveLimitS: z.number().int().min(0).max(65535).default(0),
  /**
   * Bytes the hub buffers per connection before it waits for that client to read (the socket's
   * high-water mark). aedes delivers a message to every subscriber before it takes the next one
   * (100 at a time): with Node's default of 16 KiB, a subscriber that lags a few milliseconds
   * behind the whole site's traffic (the dashboard) held up every gate's verdicts
   * (bench/scale.ts, bench/NOTES.md). A client that does not read for drainTimeout (10 s) is cut off.
   * Plain listener only: TLS connections keep Node's 16 KiB.
   */
  socketBufferBytes: z
    .number()
    .int()
    .min(16 * 1024)
    .max(256 * 1024 * 1024)
    .default(4 * 1024 * 1024),
  /**
   * Messages the broker delivers at once (aedes's `concurrency`, its default 100). A message stays
   * in flight until every subscriber's write has called back, at least two turns of the event
   * loop: with 100 the whole hub delivered 2,000–3,000 messages a second at 1,000 gates against
   * ~4,000 offered, so verdicts queued for seconds and some were lost (bench/scale.ts, NOTES.md),
   * and a subscriber whose buffer is full (waiting for 'drain') held up every other client after
   * 100 of its messages (test/hub/slow-subscriber.test.ts). Each slot holds one message in memory.
   */
  deliveryConcurrency: z.number().int().min(1).max(100_000).default(5000),
  /**
   * Least time between two changes of the person holds sent to the gates (the first after a quiet
   * spell goes at once; changes meanwhile travel together). Each goes to every gate: at 1,000
   * gates and 5 fevers a second, one message per change was most of the hub's work
   * (hub/lists/distributor.ts). A hold reaches the other gates at most this much later.
   */
  holdsChangeGapMs: z.number().int().min(0).max(10_000).default(1000),
});

const Fleet = z.strictObject({
  /** A gate (or a disconnected terminal) silent this long is offline. Gates beat every 10 s by default. */
  heartbeatTimeoutMs: z.number().int().min(500).default(35_000),
  /** The fleet snapshot is republished at most this often when a device's state changed. */
  publishIntervalMs: z.number().int().min(50).default(1000),
  /**
   * ... and at most this often when only times and counters moved (heartbeats, passages): at 1,000
   * gates that is every second, and the snapshot is over half a megabyte (hub/fleet/pacer.ts).
   */
  refreshIntervalMs: z.number().int().min(50).default(10_000),
});

export const HubConfig = z
  .object({
    siteId: Id,
    /** IANA time zone of the site: access-list dates without an offset are read in it. */
    timezone: z.string().default('Asia/Shanghai').refine(isTimeZone, TIME_ZONE_MESSAGE),
    mqtt: z
      // Strict like every section: a misspelt key is an error, not a setting left at its default.
      .strictObject({
        host: z.string().min(1).default('0.0.0.0'),
        /** Plain MQTT port; 0 = any free port (tests). */
        port: Port.default(1883),
        /** Set false to serve only TLS. */
        plaintext: z.boolean().default(true),
        tls: Tls.optional(),
      })
      .default({ host: '0.0.0.0', port: 1883, plaintext: true })
      .refine((m) => m.plaintext || m.tls !== undefined, {
        message: 'with plaintext: false a tls listener is required',
        path: ['tls'],
      }),
    /** JSON file of device credentials (see `device add`); keep it outside the repository. */
    credentialsFile: z.string().min(1),
    /** Broker sessions, queued QoS 1 messages, retained messages and wills (SQLite). */
    persistenceDir: z.string().min(1).default('./data/hub'),
    /** The current access list (an AccessListSnapshot); default `<persistenceDir>/access-list.json`. */
    accessListFile: z.string().min(1).optional(),
    limits: Limits.default(Limits.parse({})),
    fleet: Fleet.default(Fleet.parse({})),
    /** How often the credentials and access list files are checked for changes. */
    watchIntervalMs: z.number().int().min(50).default(2000),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /**
     * The dashboard's config file (dashboard/config/schema.ts): when set, the hub process also runs
     * the dashboard (site/site.ts). A dashboard `mqtt.url` of `internal` means this hub's own port.
     */
    dashboardConfigFile: z.string().min(1).optional(),
    /** OPC UA server for the whole site (hub/opcua); off unless `enabled`. */
    opcua: OpcuaConfig.optional(),
    /** Home Assistant MQTT discovery (hub/homeassistant); off unless `enabled`. */
    homeAssistant: HomeAssistantConfig.optional(),
    /** The hub publishes its time this often on tg/{site}/hub/clock; gates warn when theirs disagrees. */
    clockIntervalMs: z.number().int().min(100).max(3_600_000).default(10_000),
  })
  .strict();

export type HubConfig = z.infer<typeof HubConfig>;
export type HubConfigInput = z.input<typeof HubConfig>;
export type Limits = z.infer<typeof Limits>;
