/**
 * One gate's configuration. Validated at start: a bad file stops the daemon with the key path and
 * the reason (exit 2), so a gate never runs half-configured. Defaults are the datasheet's and the
 * product's (37.3 °C threshold, 3 s release pulse).
 */
import { z } from 'zod';
import { ID_PATTERN } from '../../protocols/topics.ts';

const Id = z
  .string()
  .regex(ID_PATTERN, 'letters, digits, "_" or "-" (1 to 64): it becomes part of MQTT topics');
const Tenths = z.number().int('tenths of a degree as an integer, e.g. 373 for 37.3 °C');

const Thermometer = z
  .object({
    protocol: z.enum(['modbus-ir', 'gy-mlx90615', 'none']).default('modbus-ir'),
    /** A tty path (/dev/ttyUSB0) or a serial device server `tcp://host:port`. */
    port: z.string().min(1).optional(),
    baudRate: z.union([4800, 9600, 19200, 38400, 57600, 115200].map((b) => z.literal(b))).default(9600),
    slave: z.number().int().min(1).max(247).default(1),
    pollIntervalMs: z.number().int().min(20).max(10_000).default(200),
    /** gy-mlx90615 only: ask for each reading, or let the module stream every 100 ms. */
    mode: z.enum(['query', 'continuous']).default('continuous'),
    /** Added by the edge to the device value (skin → body for the UART module). */
    offsetTenths: z.number().int().min(-100).max(100).default(0),
    /** Exclusive lock on a tty; turn off only for ptys shared in tests. */
    lock: z.boolean().default(true),
  })
  .refine((t) => t.protocol === 'none' || t.port !== undefined, {
    message: 'a port is required: a tty path or tcp://host:port',
    path: ['port'],
  });

const Lines = z.object({
  release: z.number().int().nonnegative(),
  green: z.number().int().nonnegative(),
  red: z.number().int().nonnegative(),
  buzzer: z.number().int().nonnegative(),
  passage: z.number().int().nonnegative(),
  fireAlarm: z.number().int().nonnegative(),
});

export const EdgeConfig = z
  .object({
    siteId: Id,
    gateId: Id,
    /** IANA time zone of the site: verdict texts and logs. */
    timezone: z.string().default('Asia/Shanghai'),
    lang: z.enum(['zh-CN', 'en']).default('zh-CN'),
    /** Folder for the outbox, dedupe state and the last access list. */
    dataDir: z.string().min(1).default('./data/edge'),
    mqtt: z.object({
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
    terminal: z.object({
      deviceId: Id,
      /** Which device measures the person. */
      temperatureSource: z.enum(['gate-thermometer', 'terminal']).default('gate-thermometer'),
    }),
    turnstile: z
      .object({
        /** What opens the turnstile: our GPIO relay, the terminal's own relay via the verdict, or both. */
        drive: z.enum(['gpio', 'verdict', 'both']).default('gpio'),
        openMs: z.number().int().min(500).max(30_000).default(3000),
      })
      .default({ drive: 'gpio', openMs: 3000 }),
    gpio: z
      .object({
        backend: z.enum(['onoff', 'sim']).default('sim'),
        lines: Lines.default({ release: 17, green: 27, red: 22, buzzer: 23, passage: 24, fireAlarm: 25 }),
        /** Simulated backend: where the simulator connects to observe and drive the lines. */
        simHost: z.string().default('127.0.0.1'),
        simPort: z.number().int().min(0).max(65535).default(0),
      })
      .default({
        backend: 'sim',
        lines: { release: 17, green: 27, red: 22, buzzer: 23, passage: 24, fireAlarm: 25 },
        simHost: '127.0.0.1',
        simPort: 0,
      }),
    policy: z
      .object({
        feverThresholdTenths: Tenths.min(350).max(400).default(373),
        plausibleMinTenths: Tenths.default(340),
        plausibleMaxTenths: Tenths.default(420),
        maskRequired: z.boolean().default(true),
        healthCodeRequired: z.boolean().default(false),
        accessListRequired: z.boolean().default(true),
        /** How old a measurement may be when the face event arrives. */
        pairingWindowMs: z.number().int().min(100).max(10_000).default(3000),
        /** How long to wait for a late measurement. The terminal gives up after 3 s. */
        waitForMeasurementMs: z.number().int().min(0).max(2000).default(1500),
        /** Re-measures of one person within this time that raise an alert. */
        remeasureAlertCount: z.number().int().min(2).default(3),
        remeasureAlertWindowMs: z.number().int().min(1000).default(120_000),
        /**
         * A realtime event older than this (terminal time vs gate time) is stored but never acted
         * on: the broker kept it while the gate was down and the person has long gone. Terminals
         * must keep their clocks in sync (NTP); a skewed clock shows up as stale events in the log.
         */
        staleEventMs: z.number().int().min(5000).default(30_000),
      })
      .refine(
        (p) =>
          p.plausibleMinTenths < p.feverThresholdTenths && p.feverThresholdTenths <= p.plausibleMaxTenths,
        {
          message: 'need plausibleMinTenths < feverThresholdTenths <= plausibleMaxTenths',
          path: ['feverThresholdTenths'],
        },
      )
      .default({
        feverThresholdTenths: 373,
        plausibleMinTenths: 340,
        plausibleMaxTenths: 420,
        maskRequired: true,
        healthCodeRequired: false,
        accessListRequired: true,
        pairingWindowMs: 3000,
        waitForMeasurementMs: 1500,
        remeasureAlertCount: 3,
        remeasureAlertWindowMs: 120_000,
        staleEventMs: 30_000,
      }),
    /** Where a flagged person is sent until the dashboard assigns a room. */
    isolation: z.object({ area: z.string().min(1).max(24) }).default({ area: '隔离观察区' }),
    /** Optional local access list (JSON snapshot); the hub's retained list replaces it when newer. */
    accessListFile: z.string().optional(),
    storage: z
      .object({
        outboxCapacity: z.number().int().min(1000).default(1_000_000),
        sink: z
          .discriminatedUnion('kind', [
            z.object({
              kind: z.literal('influx'),
              url: z.url(),
              database: z.string().min(1).default('thermogate'),
              username: z.string().optional(),
              password: z.string().optional(),
              retentionDays: z.number().int().min(1).max(3650).default(400),
            }),
            z.object({ kind: z.literal('sqlite'), path: z.string().min(1) }),
            z.object({ kind: z.literal('none') }),
          ])
          .default({ kind: 'none' }),
      })
      .default({ outboxCapacity: 1_000_000, sink: { kind: 'none' } }),
    heartbeatIntervalMs: z.number().int().min(1000).default(10_000),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .refine((c) => c.thermometer.protocol !== 'none' || c.terminal.temperatureSource === 'terminal', {
    message: 'with no gate thermometer the terminal must be the temperature source',
    path: ['terminal', 'temperatureSource'],
  });

export type EdgeConfig = z.output<typeof EdgeConfig>;
export type EdgeConfigInput = z.input<typeof EdgeConfig>;
