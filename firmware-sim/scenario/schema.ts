/**
 * The scenario model: people, their arrivals, per-gate lanes (thermometer + terminal + gate I/O)
 * and a fault schedule per lane. Validated with zod so a bad file fails with the key path of the
 * mistake (`lanes.0.thermometer.endpoint: ...`), never half-way through a run.
 */
import { z } from 'zod';
import { HealthCode, MaskState, ThermometryUnit } from '../../protocols/face-mqtt/index.ts';
import { ID_PATTERN } from '../../protocols/topics.ts';
import { parseEndpoint, parseTcpAddress } from '../endpoint.ts';
import { parseUtcOffset } from '../time.ts';

const Ms = z.number().int().nonnegative();
const Id = z.string().regex(ID_PATTERN, 'letters, digits, - and _ only (1..64)');

const parses = (fn: (s: string) => unknown) => (s: string) => {
  try {
    fn(s);
    return true;
  } catch {
    return false;
  }
};

export const PersonSpec = z.object({
  /** HR's employee number; also the person's key in `arrivals`. */
  employeeNo: z.string().min(1).max(64),
  name: z.string().max(128).default(''),
  /** True body temperature, tenths °C (366 = 36.6 °C). */
  temperatureTenths: z.number().int().min(200).max(460),
  mask: MaskState.default('yes'),
  /** false: the terminal's face library does not know this face (employeeNoString ""). */
  recognised: z.boolean().default(true),
  healthCode: HealthCode.optional(),
  similarity: z.number().min(0).max(1).optional(),
});
export type PersonSpec = z.infer<typeof PersonSpec>;

export const ArrivalSpec = z.object({
  /** When the person steps up, ms after the start of the run. */
  atMs: Ms,
  /** employeeNo of a person in `people`. */
  person: z.string().min(1),
  /** Lane id (default: the first lane). */
  lane: Id.optional(),
  /** Face event time relative to the completed measurement, ms; overrides timing.skewMs. */
  skewMs: z.number().int().optional(),
});
export type ArrivalSpec = z.infer<typeof ArrivalSpec>;

export const ThermometerSpec = z.object({
  protocol: z.enum(['modbus-ir', 'gy-mlx90615']).default('modbus-ir'),
  /** `/dev/ttyUSB0`, `serial:PATH`, `tcp:HOST:PORT` (port 0 = any free port, for tests). */
  endpoint: z.string().refine(parses(parseEndpoint), 'must be a tty path, serial:PATH or tcp:HOST:PORT'),
  slave: z.number().int().min(1).max(247).default(1),
  baudRate: z.number().int().min(1200).max(921600).default(9600),
  /** Time from "person in front" to completed measurement, ms. */
  settleMs: Ms.default(300),
  ambientTenths: z.number().int().min(-400).max(800).default(251),
  /** GY only: skin reads this much below the body, tenths °C. */
  skinOffsetTenths: z.number().int().min(0).max(50).default(0),
  /** Modbus only: initial compensation offset register, tenths °C. */
  offsetTenths: z.number().int().min(-100).max(100).optional(),
});
export type ThermometerSpec = z.infer<typeof ThermometerSpec>;

export const TerminalSpec = z
  .object({
    deviceId: Id,
    /**
     * face-mqtt: the §3 terminal on the broker (username/password: its broker login). hik-isapi:
     * the §5 terminal, its own web server at `listen` with Digest (username/password: its web
     * login, default user admin), pushing events to the gate's listener at `pushUrl`.
     */
    protocol: z.enum(['face-mqtt', 'hik-isapi']).default('face-mqtt'),
    /** hik-isapi: HOST:PORT of the terminal's web server (port 0: any free one). */
    listen: z.string().refine(parses(parseTcpAddress), 'must be HOST:PORT').optional(),
    /** hik-isapi: the gate's listening host, e.g. http://127.0.0.1:8099/isapi/event. */
    pushUrl: z.url({ protocol: /^http$/ }).optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    remoteCheck: z.boolean().default(true),
    remoteCheckTimeoutMs: Ms.default(3000),
    /** Present for terminal models with their own thermometer. */
    thermometer: z
      .object({ unit: ThermometryUnit.default('celsius'), abnormalTenths: z.number().int().optional() })
      .optional(),
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(4),
  })
  .superRefine((t, ctx) => {
    if (t.protocol === 'hik-isapi' && !t.password)
      ctx.addIssue({
        code: 'custom',
        path: ['password'],
        message: 'an ISAPI terminal needs its web password',
      });
  });
export type TerminalSpec = z.infer<typeof TerminalSpec>;

const FaultBase = { atMs: Ms, durationMs: Ms.optional() };
export const FaultSpec = z.discriminatedUnion('kind', [
  /** Status b4: measurements stop completing. */
  z.object({ kind: z.literal('sensor-fault'), ...FaultBase }),
  /** Measurements complete with b2 (below) or b3 (above) and no b1. */
  z.object({ kind: z.literal('out-of-range'), range: z.enum(['below', 'above']), ...FaultBase }),
  /** Wrong CRC (Modbus) / wrong SUM (GY) on the next `count` answers and/or at `rate`. */
  z.object({
    kind: z.literal('crc'),
    count: z.number().int().positive().optional(),
    rate: z.number().min(0).max(1).optional(),
    ...FaultBase,
  }),
  /** The thermometer answers nothing. */
  z.object({ kind: z.literal('silent'), ...FaultBase }),
  /** Answers come late (ms); above 20 ms this breaks the datasheet on purpose. */
  z.object({ kind: z.literal('delay'), delayMs: Ms, ...FaultBase }),
  /** GY only: garbage bytes on the line (`bytes` once, and/or before frames at `rate`). */
  z.object({
    kind: z.literal('garbage'),
    bytes: z.number().int().positive().optional(),
    rate: z.number().min(0).max(1).optional(),
    ...FaultBase,
  }),
  /** Serial port closed / TCP server stops listening, until the duration ends. */
  z.object({ kind: z.literal('unplugged'), ...FaultBase }),
  /** The terminal loses its network (last will fires); events are cached until it is back. */
  z.object({ kind: z.literal('terminal-offline'), ...FaultBase }),
  /** The fire-alarm contact on the gate I/O. */
  z.object({ kind: z.literal('fire-alarm'), ...FaultBase }),
]);
export type FaultSpec = z.infer<typeof FaultSpec>;

export const LaneSpec = z.object({
  id: Id,
  thermometer: ThermometerSpec,
  terminal: TerminalSpec,
  /** The edge's simulated gate I/O, HOST:PORT; absent when the lane has no GPIO peer. */
  gpio: z.string().refine(parses(parseTcpAddress), 'must be HOST:PORT').optional(),
  /** What opens the turnstile on this gate: the edge's release line, the terminal's verdict, either. */
  openBy: z.enum(['gpio', 'verdict', 'either']).default('either'),
  faults: z.array(FaultSpec).default([]),
});
export type LaneSpec = z.infer<typeof LaneSpec>;

export const TimingSpec = z.object({
  /** Default face-event time relative to the completed measurement, ms (may be negative). */
  skewMs: z.number().int().default(150),
  /** From release to the passage pulse (walking through), ms. */
  walkMs: Ms.default(800),
  /** How long to wait for the edge's release line after the face event, ms. */
  releaseWaitMs: Ms.default(1000),
  /** How long a denied person stands there before turning away, ms. */
  deniedDwellMs: Ms.default(1000),
});
export type TimingSpec = z.infer<typeof TimingSpec>;

export const Scenario = z
  .object({
    name: z.string().max(200).default('scenario'),
    site: z
      .object({
        utcOffset: z.string().refine(parses(parseUtcOffset), 'must look like +08:00').default('+08:00'),
      })
      .default({ utcOffset: '+08:00' }),
    broker: z
      .object({ url: z.string().min(1), username: z.string().optional(), password: z.string().optional() })
      .optional(),
    timing: TimingSpec.default({ skewMs: 150, walkMs: 800, releaseWaitMs: 1000, deniedDwellMs: 1000 }),
    lanes: z.array(LaneSpec).min(1),
    people: z.array(PersonSpec),
    arrivals: z.array(ArrivalSpec),
  })
  .superRefine((s, ctx) => {
    const lanes = new Set<string>();
    s.lanes.forEach((l, i) => {
      if (lanes.has(l.id))
        ctx.addIssue({ code: 'custom', path: ['lanes', i, 'id'], message: `duplicate lane id ${l.id}` });
      lanes.add(l.id);
    });
    const terminals = new Set<string>();
    s.lanes.forEach((l, i) => {
      if (terminals.has(l.terminal.deviceId))
        ctx.addIssue({
          code: 'custom',
          path: ['lanes', i, 'terminal', 'deviceId'],
          message: `duplicate terminal ${l.terminal.deviceId}`,
        });
      terminals.add(l.terminal.deviceId);
    });
    const people = new Set<string>();
    s.people.forEach((p, i) => {
      if (people.has(p.employeeNo))
        ctx.addIssue({
          code: 'custom',
          path: ['people', i, 'employeeNo'],
          message: `duplicate person ${p.employeeNo}`,
        });
      people.add(p.employeeNo);
    });
    s.arrivals.forEach((a, i) => {
      if (!people.has(a.person))
        ctx.addIssue({
          code: 'custom',
          path: ['arrivals', i, 'person'],
          message: `no person ${a.person} in people`,
        });
      if (a.lane !== undefined && !lanes.has(a.lane))
        ctx.addIssue({
          code: 'custom',
          path: ['arrivals', i, 'lane'],
          message: `no lane ${a.lane} in lanes`,
        });
    });
  });
export type Scenario = z.infer<typeof Scenario>;
/** What a file may leave out (defaults filled in by the schema). */
export type ScenarioInput = z.input<typeof Scenario>;
