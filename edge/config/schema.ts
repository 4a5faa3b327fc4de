/**
 * One gate's configuration. Validated at start: a bad file stops the daemon with the key path and
 * the reason (exit 2), so a gate never runs half-configured. Objects are strict: a misspelt key
 * (`feverThresholdTenth`) is an error, not a setting silently left at its default. Defaults are the datasheet's and the
 * product's (37.3 °C threshold, 3 s release pulse).
 */
import { isTimeZone, TIME_ZONE_MESSAGE } from '../../protocols/time-zone.ts';
import { isIP } from 'node:net';
import { z } from 'zod';
import { ID_PATTERN } from '../../protocols/topics.ts';
import { thermometerCommon } from '../thermometer/config.ts';
import { THERMOMETER_SECTIONS } from '../thermometer/drivers.ts';

const Id = z
  .string()
  .regex(ID_PATTERN, 'letters, digits, "_" or "-" (1 to 64): it becomes part of MQTT topics');
const Tenths = z.number().int('tenths of a degree as an integer, e.g. 373 for 37.3 °C');

/**
 * The thermometer, one section per protocol (a discriminated union on `protocol`), made from the
 * driver table (edge/thermometer/drivers.ts): each protocol names only the keys it has, so `slave`
 * on the UART module or `mode` on the Modbus device is an error naming the key, not a value silently
 * ignored (issue #21: one flat options bag). A new protocol is one entry there, nothing here.
 * `protocol` may be left out: modbus-ir, the datasheet's main device (§1).
 */
/** No gate thermometer: the terminal's own temperature is used (terminal.temperatureSource). */
const NoThermometer = z.strictObject({ protocol: z.literal('none'), ...thermometerCommon });

const Thermometer = z.preprocess(
  (v) => (v !== null && typeof v === 'object' && !('protocol' in v) ? { ...v, protocol: 'modbus-ir' } : v),
  z.discriminatedUnion('protocol', [NoThermometer, ...THERMOMETER_SECTIONS]),
);
export type ThermometerConfig = z.infer<typeof Thermometer>;

const terminalCommon = {
  /** The terminal's id: `face/{deviceId}/...` topics, and the terminal named in every reading. */
  deviceId: Id,
  /** Which device measures the person. */
  temperatureSource: z.enum(['gate-thermometer', 'terminal']).default('gate-thermometer'),
};

/** devices.md §3: the terminal speaks MQTT to the site's broker. */
const FaceMqttTerminal = z.strictObject({ protocol: z.literal('face-mqtt'), ...terminalCommon });

/** An IANA time zone name (Asia/Shanghai, Europe/Berlin). */
const TimeZone = z.string().refine(isTimeZone, TIME_ZONE_MESSAGE);

/**
 * Keeping an ISAPI terminal's person list in line with HR's access list
 * (edge/terminal/hik-isapi/person-sync.ts). Off by default: once on, the gate owns the terminal's
 * persons, and anybody on the terminal who is not on the access list is deleted from it (with
 * their face). A site that enrols and manages persons on the terminal itself keeps it off.
 */
const PersonSync = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** The terminal's own time zone, for visitors' validity periods (default: the gate's `timezone`). */
    timezone: TimeZone.optional(),
    /** Persons per Search page (terminals answer at most 30 on many firmwares). */
    pageSize: z.number().int().min(1).max(100).default(30),
    /** Changes per batch: a batch of deletions is one request; the status is brought up to date after each. */
    batchSize: z.number().int().min(1).max(100).default(10),
    /** One request to the terminal may take this long. */
    requestTimeoutMs: z.number().int().min(1000).max(60_000).default(10_000),
    /** Retry backoff after a failed or incomplete pass: first delay and cap, with jitter. */
    retryMinMs: z.number().int().min(100).default(5000),
    retryMaxMs: z.number().int().min(500).default(300_000),
    /** A terminal out of line for this long raises the `terminal-person-sync` alert. */
    alertAfterMs: z.number().int().min(1000).default(600_000),
    /** A full pass this often even without list changes: catches persons added on the terminal by hand. */
    resyncIntervalMs: z.number().int().min(60_000).default(3_600_000),
  })
  .refine((p) => p.retryMinMs <= p.retryMaxMs, {
    message: 'retryMinMs must not exceed retryMaxMs',
    path: ['retryMinMs'],
  })
  .prefault({});

/** An IP literal, or `*` for any source (allowFrom). */
const IpOrAny = z.string().refine((s) => s === '*' || isIP(s) !== 0, 'an IP address (10.0.0.21) or "*"');

/**
 * devices.md §5: the vendor's HTTP API (ISAPI). The terminal pushes events to the gate's listener
 * (`push`) or the gate reads its alert stream (`pull`); verdicts go back by `PUT remoteCheck` with
 * Digest authentication.
 */
const HikIsapiTerminal = z
  .strictObject({
    protocol: z.literal('hik-isapi'),
    ...terminalCommon,
    /** The terminal's own web address, e.g. http://10.0.0.21 (port 80 unless given). */
    address: z.url({ protocol: /^http$/, error: "the terminal's address as http://host[:port]" }),
    username: z.string().min(1).default('admin'),
    /** Never in the file: passwordFile, or TG_EDGE__TERMINAL__PASSWORD. */
    password: z.string().optional(),
    passwordFile: z.string().optional(),
    /** push: the terminal posts events to `listen` (its "listening host"); pull: the gate reads its alert stream. */
    mode: z.enum(['push', 'pull']).default('push'),
    listen: z
      .strictObject({
        host: z.string().min(1).default('0.0.0.0'),
        port: z.number().int().min(0).max(65535).default(8099),
        path: z
          .string()
          .regex(/^\/[\x21-\x7e]*$/, 'a URL path starting with "/"')
          .default('/isapi/event'),
      })
      .prefault({}),
    /** Sources the listener takes pushes from (IPs, or "*"); default: the terminal's address only. */
    allowFrom: z.array(IpOrAny).min(1).optional(),
    /** The terminal's remoteCheckTimeout (its web page: 3 to 8 s); the verdict must land within it. */
    remoteCheckTimeoutMs: z.number().int().min(3000).max(8000).default(3000),
    /** deviceInfo is asked at start and this often; a terminal that stops answering is offline. */
    healthIntervalMs: z.number().int().min(1000).max(600_000).default(10_000),
    /** A push bigger than this is refused (413): an event with a picture is tens of KB. */
    maxBodyBytes: z
      .number()
      .int()
      .min(16 * 1024)
      .max(16 * 1024 * 1024)
      .default(1024 * 1024),
    /** Keep the pictures the terminal sends (under dataDir/pictures); off by default (personal data). */
    storePictures: z.boolean().default(false),
    /** pull: reconnect backoff after the stream drops. */
    reconnectMinMs: z.number().int().min(100).default(500),
    reconnectMaxMs: z.number().int().min(500).default(10_000),
    /** The terminal's person list kept in line with HR's access list (off by default; see PersonSync). */
    personSync: PersonSync,
  })
  .superRefine((t, ctx) => {
    if (t.allowFrom !== undefined) return;
    const host = new URL(t.address).hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(host) === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['allowFrom'],
        message: `the terminal's address is a name (${host}): list its IP address(es) in allowFrom`,
      });
  });

/** Which terminal protocol (a missing `protocol` is the MQTT terminal, as before there was a choice). */
const TerminalUnion = z.discriminatedUnion('protocol', [FaceMqttTerminal, HikIsapiTerminal]);
type TerminalInput =
  | (Omit<z.input<typeof FaceMqttTerminal>, 'protocol'> & { protocol?: 'face-mqtt' })
  | z.input<typeof HikIsapiTerminal>;
const Terminal = z.preprocess(
  (v) => (v !== null && typeof v === 'object' && !('protocol' in v) ? { ...v, protocol: 'face-mqtt' } : v),
  TerminalUnion,
) as unknown as z.ZodType<z.output<typeof TerminalUnion>, TerminalInput>;

export type TerminalConfig = z.output<typeof TerminalUnion>;
export type HikIsapiTerminalConfig = z.output<typeof HikIsapiTerminal>;
export type PersonSyncConfig = z.output<typeof PersonSync>;

const Lines = z
  .strictObject({
    release: z.number().int().nonnegative(),
    green: z.number().int().nonnegative(),
    red: z.number().int().nonnegative(),
    buzzer: z.number().int().nonnegative(),
    passage: z.number().int().nonnegative(),
    fireAlarm: z.number().int().nonnegative(),
  })
  .superRefine((lines, ctx) => {
    // Two signals on one line would, e.g., pulse the release relay whenever the green lamp lights.
    const seen = new Map<number, string>();
    for (const [name, line] of Object.entries(lines)) {
      const other = seen.get(line);
      if (other !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `same line as ${other}: each signal needs its own`,
        });
      seen.set(line, name);
    }
  });

/** Where the outbox forwards readings (`storage.sink`); the recorder takes the same shape. */
export const Sink = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('influx'),
      url: z.url(),
      database: z.string().min(1).default('thermogate'),
      username: z.string().optional(),
      password: z.string().optional(),
      /** Read the user name / password from these files (secrets stay out of config files). */
      usernameFile: z.string().optional(),
      passwordFile: z.string().optional(),
      retentionDays: z.number().int().min(1).max(3650).default(400),
      /**
       * true: the gate creates the database and retention policy and corrects its duration
       * (needs an InfluxDB admin). false: least privilege, a user with WRITE on the database
       * is enough; both must exist (edge/storage/README.md shows the statements), the gate
       * never issues an admin statement, and a refused write is TG_STORE_PRIVILEGE.
       */
      manageSchema: z.boolean().default(true),
    }),
    z.strictObject({ kind: z.literal('sqlite'), path: z.string().min(1) }),
    z.strictObject({ kind: z.literal('none') }),
  ])
  .default({ kind: 'none' });
/** `storage.sink` as written (defaults not yet filled): what edge/storage's recorder accepts. */
export type SinkConfig = Exclude<z.input<typeof Sink>, undefined>;

export const EdgeConfig = z
  .strictObject({
    siteId: Id,
    gateId: Id,
    /** IANA time zone of the site: verdict texts and logs. */
    timezone: TimeZone.default('Asia/Shanghai'),
    lang: z.enum(['zh-CN', 'en']).default('zh-CN'),
    /** Folder for the outbox, dedupe state and the last access list. */
    dataDir: z.string().min(1).default('./data/edge'),
    mqtt: z.strictObject({
      url: z.url({ protocol: /^(mqtts?|wss?|tcp)$/ }),
      username: z.string().optional(),
      password: z.string().optional(),
      /** Read the password from this file (secrets stay out of config files and the repo). */
      passwordFile: z.string().optional(),
      /** CA certificate (PEM) that signed the broker's TLS certificate, for mqtts:// to a site hub. */
      caFile: z.string().optional(),
      clientId: z.string().optional(),
      /** Reconnect backoff: first delay and cap, with full jitter. */
      reconnectMinMs: z.number().int().min(100).default(500),
      reconnectMaxMs: z.number().int().min(1000).default(30_000),
    }),
    thermometer: Thermometer,
    terminal: Terminal,
    turnstile: z
      .strictObject({
        /** What opens the turnstile: our GPIO relay, the terminal's own relay via the verdict, or both. */
        drive: z.enum(['gpio', 'verdict', 'both']).default('gpio'),
        openMs: z.number().int().min(500).max(30_000).default(3000),
        /** How long the green or red lamp (and the buzzer) stays on after a decision. */
        lampMs: z.number().int().min(100).max(30_000).default(2000),
      })
      .prefault({}),
    gpio: z
      .strictObject({
        backend: z.enum(['onoff', 'sim']).default('sim'),
        lines: Lines.default({ release: 17, green: 27, red: 22, buzzer: 23, passage: 24, fireAlarm: 25 }),
        /** Simulated backend: where the simulator connects to observe and drive the lines. */
        simHost: z.string().default('127.0.0.1'),
        simPort: z.number().int().min(0).max(65535).default(0),
      })
      .prefault({}),
    /**
     * The site rules (threshold, plausible range, mask / health code / access list, minimum face
     * similarity) come from the hub's site policy (protocols/site/policy.ts); set one here only to
     * override it for this gate, which the fleet view then shows. The rest is local to the gate.
     */
    policy: z
      .strictObject({
        feverThresholdTenths: Tenths.min(350).max(400).optional(),
        plausibleMinTenths: Tenths.min(300).max(380).optional(),
        plausibleMaxTenths: Tenths.min(370).max(450).optional(),
        maskRequired: z.boolean().optional(),
        healthCodeRequired: z.boolean().optional(),
        accessListRequired: z.boolean().optional(),
        minSimilarity: z.number().min(0).max(1).optional(),
        /** How old a measurement may be when the face event arrives. */
        pairingWindowMs: z.number().int().min(100).max(10_000).default(3000),
        /** How long to wait for a late measurement. The terminal gives up after 3 s. */
        waitForMeasurementMs: z.number().int().min(0).max(2000).default(1500),
        /** Re-measures of one person within this time that raise an alert. */
        remeasureAlertCount: z.number().int().min(2).default(3),
        remeasureAlertWindowMs: z.number().int().min(1000).default(120_000),
        /**
         * Commands (open once, lockdown) older than this by the gate's clock are refused: an
         * open-once queued by the broker while the gate was away must not open the turnstile later.
         */
        staleEventMs: z.number().int().min(5000).default(30_000),
        /**
         * The terminal waits this long for a verdict, then keeps the turnstile shut (datasheet:
         * 3 s). A realtime event older than this less 500 ms (the time for the verdict and the
         * release to land) when it arrives, or once its measurement came, is stored but never
         * opens the turnstile: whoever stands there by then is somebody else. Its age is judged
         * with the terminal's learned clock offset (edge/core/terminal-clock.ts), so a terminal
         * with a wrong clock keeps working.
         */
        verdictDeadlineMs: z.number().int().min(1000).max(30_000).default(3000),
        /** A terminal clock further off than this raises the `terminal-clock` alert. */
        terminalClockToleranceMs: z.number().int().min(500).default(2000),
        /**
         * A fever this gate flagged holds the person here until the hub's hold list takes over. On
         * a site without a hub nobody can lift it: there it expires after this long.
         */
        localHoldExpiryMs: z
          .number()
          .int()
          .min(60_000)
          .default(24 * 3600_000),
      })
      .refine(
        (p) => {
          // Checked against the built-in site rules here; against the hub's policy when it arrives.
          const min = p.plausibleMinTenths ?? 340;
          const thr = p.feverThresholdTenths ?? 373;
          const max = p.plausibleMaxTenths ?? 420;
          return min < thr && thr <= max;
        },
        {
          message: 'need plausibleMinTenths < feverThresholdTenths <= plausibleMaxTenths',
          path: ['feverThresholdTenths'],
        },
      )
      // Parsed through the schema, so the defaults above are the only ones (zod's .default() would skip them).
      .prefault({}),
    /** Where a flagged person is sent until the dashboard assigns a room. */
    isolation: z.strictObject({ area: z.string().min(1).max(24) }).default({ area: '隔离观察区' }),
    /** Optional local access list (JSON snapshot); the hub's retained list replaces it when newer. */
    accessListFile: z.string().optional(),
    storage: z
      .strictObject({
        outboxCapacity: z.number().int().min(1000).default(1_000_000),
        /**
         * What happens when the gate cannot keep readings on disk: 'keep' goes on deciding (readings
         * past a failed commit are held in memory); 'refuse' keeps the turnstile shut for everybody
         * while the outbox is at capacity, free space is below diskReserveMB, or readings are held.
         */
        outboxPolicy: z.enum(['keep', 'refuse']).default('keep'),
        /**
         * Free space to keep on the outbox's filesystem, MB: the outbox-filling alert is raised below
         * 4× (minor), 2× (major) and 1× (critical) this.
         */
        diskReserveMB: z.number().int().min(1).default(64),
        sink: Sink,
      })
      // Parsed through the schema, so the defaults above are the only ones.
      .prefault({}),
    heartbeatIntervalMs: z.number().int().min(1000).default(10_000),
    /** Warn (TG_EDGE_CLOCK_SKEW) when this clock and the hub's (tg/{site}/hub/clock) differ by more; 0 = off. */
    clockSkewWarnMs: z.number().int().min(0).max(3_600_000).default(2000),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .refine((c) => c.thermometer.protocol !== 'none' || c.terminal.temperatureSource === 'terminal', {
    message: 'with no gate thermometer the terminal must be the temperature source',
    path: ['terminal', 'temperatureSource'],
  })
  .refine(
    (c) =>
      c.terminal.protocol !== 'hik-isapi' || c.policy.verdictDeadlineMs <= c.terminal.remoteCheckTimeoutMs,
    {
      message:
        'must not exceed terminal.remoteCheckTimeoutMs: the gate would open after the terminal gave up',
      path: ['policy', 'verdictDeadlineMs'],
    },
  );

export type EdgeConfig = z.output<typeof EdgeConfig>;
export type EdgeConfigInput = z.input<typeof EdgeConfig>;
