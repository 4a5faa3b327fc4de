/**
 * The dashboard's configuration (YAML or JSON file, env overrides `TG_DASH__a__b=value`).
 * Validated at start: a bad file stops the dashboard with the key path and the reason (exit 2)
 * before anything listens. Sections are owned by the modules that read them.
 */
import { isTimeZone, TIME_ZONE_MESSAGE } from '../../protocols/time-zone.ts';
import { z } from 'zod';
import { ID_PATTERN } from '../../protocols/topics.ts';

const Id = z
  .string()
  .regex(ID_PATTERN, 'letters, digits, "_" or "-" (1 to 64): it becomes part of MQTT topics');
const Port = z.number().int().min(0).max(65535);
const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a local time HH:MM');
const TimeZone = z.string().refine(isTimeZone, TIME_ZONE_MESSAGE);

/**
 * Size limits of the rooms an admin may define (issue #20: PUT /api/rooms took 40,000 distances).
 * A site has at most a few hundred gates (bench/scale.ts runs 300) and a few dozen rooms.
 */
export const MAX_ROOMS = 200;
export const MAX_ROOM_DISTANCES = 1000;
export const RoomDistances = z
  .record(z.string().regex(ID_PATTERN, 'a gate id'), z.number().nonnegative().max(1_000_000))
  .refine((d) => Object.keys(d).length <= MAX_ROOM_DISTANCES, {
    message: `at most ${MAX_ROOM_DISTANCES} gates per room`,
  });

/** An isolation room (observation room, tent). */
export const RoomConfig = z
  .object({
    id: Id,
    /** Shown on the terminal's screen: keep it short. */
    name: z.string().min(1).max(24),
    /** People at once. More than one only when the room is marked `shared` (at most 4). */
    capacity: z.number().int().min(1).max(4).default(1),
    shared: z.boolean().default(false),
    /** Walking distance in metres from each gate; a gate not listed is far (1e6). */
    distances: RoomDistances.default({}),
  })
  .refine((r) => r.capacity === 1 || r.shared, {
    message: 'a room for more than one person must be marked shared: true',
    path: ['capacity'],
  });
export type RoomConfig = z.infer<typeof RoomConfig>;

export const Webhook = z.object({
  kind: z.enum(['generic', 'dingtalk', 'wecom']),
  url: z.string().url(),
  /** DingTalk "加签" secret; read from a file so it stays out of the repository. */
  secretFile: z.string().min(1).optional(),
});
export type Webhook = z.infer<typeof Webhook>;

export const DashboardConfig = z
  .object({
    siteId: Id,
    siteName: z.string().max(128).default(''),
    /** Names people know the gates by ("东门"), for reports and exports; a gate without one shows its id. */
    gateNames: z.record(Id, z.string().min(1).max(64)).default({}),
    timezone: TimeZone.default('Asia/Shanghai'),
    http: z
      .object({
        host: z.string().min(1).default('0.0.0.0'),
        port: Port.default(8080),
        /**
         * Cookies always get `Secure` and answers HSTS (serve behind TLS); off for plain-HTTP demos
         * and tests. Without it they still do on requests that arrive over https (trustProxy).
         */
        secureCookies: z.boolean().default(false),
        /** Allow anonymous GET /metrics (Prometheus); otherwise admin only (or the token below). */
        publicMetrics: z.boolean().default(true),
        /**
         * GET /metrics also answers `Authorization: Bearer <token>` with the token in this file
         * (Prometheus `bearer_token_file`); set publicMetrics: false with it.
         */
        metricsTokenFile: z.string().min(1).optional(),
        /** Read from metricsTokenFile at start (or TG_DASH__http__metricsToken); never logged. */
        metricsToken: z.string().min(16, 'at least 16 characters').optional(),
        /**
         * Behind a reverse proxy: trust its X-Forwarded-For / -Proto. false (default) = the peer is
         * the client; true = any peer (only when nothing else can reach the port); or the proxy's
         * addresses / CIDRs. Login throttling keys on the client address this yields, and cookies
         * get Secure and answers HSTS when the proxy says https.
         */
        trustProxy: z.union([z.boolean(), z.array(z.string().min(1)).min(1)]).default(false),
      })
      .default({ host: '0.0.0.0', port: 8080, secureCookies: false, publicMetrics: true, trustProxy: false }),
    /** Users, sessions, audit, alerts, episodes, rooms, commands, the live feed (SQLite). */
    dataDir: z.string().min(1).default('./data/dashboard'),
    mqtt: z.object({
      url: z.string().min(1),
      username: z.string().min(1),
      /** The password lives in a file (or TG_DASH__mqtt__password), never in the config. */
      passwordFile: z.string().min(1).optional(),
      password: z.string().min(1).optional(),
      caFile: z.string().min(1).optional(),
      clientId: z.string().min(1).optional(),
    }),
    /** Where the readings are: the embedded SQLite file the edges write, or InfluxDB. */
    readings: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('sqlite'), path: z.string().min(1) }),
      z.object({
        kind: z.literal('influx'),
        url: z.string().url(),
        database: z.string().min(1),
        username: z.string().optional(),
        passwordFile: z.string().optional(),
        /**
         * HR's logs from the reading_log projection the writers keep beside each reading (issue 22,
         * docs/SCALE.md): needed from a few thousand people on. Turn on once every writer is of this
         * release and readings from before it are backfilled (influxLogBackfill).
         */
        logMeasurement: z.boolean().optional(),
      }),
    ]),
    session: z
      .object({
        idleMinutes: z
          .number()
          .int()
          .min(1)
          .max(24 * 60)
          .default(12 * 60),
        /**
         * Failed logins a minute per address, and per username from addresses that failed recently
         * (kernel/auth-throttle.ts, shared with the hub). Successful logins never count.
         */
        loginAttemptsPerMinute: z.number().int().min(1).max(1000).default(10),
        /** Password checks in flight at once per username, and in all; more are answered 429. */
        loginConcurrentPerAccount: z.number().int().min(1).max(100).default(2),
        loginConcurrent: z.number().int().min(1).max(1000).default(8),
      })
      .default({
        idleMinutes: 720,
        loginAttemptsPerMinute: 10,
        loginConcurrentPerAccount: 2,
        loginConcurrent: 8,
      }),
    rooms: z.array(RoomConfig).max(MAX_ROOMS).default([]),
    alerts: z
      .object({
        /** No guard acknowledged a critical/major alert in this time: escalate (webhooks). */
        escalateAfterMs: z.number().int().min(1000).default(60_000),
        /** A person trying again within this time continues the same episode. */
        episodeWindowMs: z
          .number()
          .int()
          .min(1000)
          .default(30 * 60_000),
        webhooks: z.array(Webhook).default([]),
      })
      .default({ escalateAfterMs: 60_000, episodeWindowMs: 1_800_000, webhooks: [] }),
    /** Requests to the hub (site policy, person holds: protocols/site/). */
    hub: z
      .object({
        /** How long an admin's or HR's request waits for the hub's reply before answering 504. */
        replyTimeoutMs: z.number().int().min(100).max(60_000).default(5000),
        /** A hold request from a guard's episode action is published again this often until answered. */
        retryEveryMs: z.number().int().min(100).default(15_000),
      })
      .default({ replyTimeoutMs: 5000, retryEveryMs: 15_000 }),
    /** The site's language: webhook notifications (fever raised, escalations) are written in it. */
    language: z.enum(['zh-CN', 'en']).default('zh-CN'),
    commands: z
      .object({ ackTimeoutMs: z.number().int().min(500).default(10_000) })
      .default({ ackTimeoutMs: 10_000 }),
    reports: z
      .object({
        /** Local time that splits morning and afternoon. */
        split: HHMM.default('12:00'),
        /** Local time at which the day's report is generated, kept and sent. */
        /** When the daily report is generated and sent (site time): one plan's deadline is 17:00. */
        dailyAt: HHMM.default('17:00'),
        /** Where the daily report is sent. */
        webhooks: z.array(Webhook).default([]),
        /** Days of personal readings kept (the storage retention policy). */
        retentionDays: z.number().int().min(1).default(400),
      })
      .default({ split: '12:00', dailyAt: '17:00', webhooks: [], retentionDays: 400 }),
    /** Live feed events kept for browsers that reconnect (resume by Last-Event-ID). */
    feed: z.object({ keepEvents: z.number().int().min(100).default(50_000) }).default({ keepEvents: 50_000 }),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.mqtt.password && !c.mqtt.passwordFile)
      ctx.addIssue({
        code: 'custom',
        path: ['mqtt', 'passwordFile'],
        message: 'set passwordFile or password',
      });
    const ids = new Set<string>();
    c.rooms.forEach((r, i) => {
      if (ids.has(r.id))
        ctx.addIssue({ code: 'custom', path: ['rooms', i, 'id'], message: 'duplicate room id' });
      ids.add(r.id);
    });
  });

export type DashboardConfig = z.infer<typeof DashboardConfig>;
export type DashboardConfigInput = z.input<typeof DashboardConfig>;
