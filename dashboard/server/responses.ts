/**
 * What the dashboard's routes answer, as zod schemas: the one description of the HTTP API's
 * answers. The routes declare them (`schema.response`), so fastify serialises through them
 * (server/serializer.ts refuses to drop a field) and /openapi.json documents them; the web pages
 * take their types from them with `z.infer` and type-only imports (web/app/types.ts), so nothing of
 * zod ends up in the bundle and a page cannot drift from what the server sends.
 *
 * Errors have one shape on every route (added by buildApp to each route's 4xx and 5xx answers):
 * `{ code, message }` plus the extra fields some errors carry.
 */
import { z } from 'zod';
import { AlertState } from '../../protocols/dashboard/messages.ts';
import { AccessEntry } from '../../protocols/gate/access-list.ts';
import {
  CommandRefusal,
  GateCommand,
  GateStatus,
  ReadingRecord,
  TemperatureSource,
} from '../../protocols/gate/messages.ts';
import { FleetGate } from '../../protocols/hub/fleet.ts';
import { PersonHold } from '../../protocols/site/holds.ts';
import { SitePolicy } from '../../protocols/site/policy.ts';

export { AlertState, PersonHold, ReadingRecord, SitePolicy };

/** Every error answer: a stable TG_* code, a message, and the extra fields some errors carry. */
export const ErrorBody = z.looseObject({
  code: z.string(),
  message: z.string(),
  /** Per-line problems of a refused import. */
  errors: z.array(z.unknown()).optional(),
  /** Config or request problems, where an error lists several. */
  issues: z.array(z.unknown()).optional(),
  /** 429: seconds until a login may be tried again (also in Retry-After). */
  retryAfterS: z.number().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export const Ok = z.object({ ok: z.literal(true) });
/** 204 answers carry no body. */
export const NoContent = z.null().describe('no body');

// --- session, accounts, audit -------------------------------------------------------------

export const Role = z.enum(['guard', 'hr', 'admin']);
export const Lang = z.enum(['zh-CN', 'en']);

export const SessionUser = z.object({
  username: z.string(),
  role: Role,
  displayName: z.string(),
  lang: Lang,
});
export type SessionUser = z.infer<typeof SessionUser>;

export const SiteInfo = z.object({ siteId: z.string(), siteName: z.string(), timezone: z.string() });

/** POST /api/login and GET /api/me. */
export const SessionAnswer = z.object({ user: SessionUser, csrfToken: z.string(), site: SiteInfo });
export type SessionAnswer = z.infer<typeof SessionAnswer>;

export const UserView = SessionUser.extend({
  disabled: z.boolean(),
  createdAt: z.number().int(),
  lastLoginAt: z.number().int().nullable(),
});
export type UserView = z.infer<typeof UserView>;

export const AuditEntry = z.object({
  id: z.number().int(),
  at: z.number().int(),
  username: z.string(),
  role: z.enum(['guard', 'hr', 'admin', 'system']),
  action: z.string(),
  target: z.string(),
  detail: z.record(z.string(), z.unknown()).nullable(),
});

// --- gates and commands -------------------------------------------------------------------

export const LastPassage = z.object({
  at: z.number().int(),
  employeeNo: z.string(),
  name: z.string().nullable(),
  temperatureTenths: z.number().int().nullable(),
  decision: z.string(),
  reason: z.string(),
  readingId: z.string(),
});
export type LastPassage = z.infer<typeof LastPassage>;

/** A gate's face terminal as the gate reports it (GateStatus.terminal). */
export const TerminalInfo = GateStatus.shape.terminal.unwrap().unwrap();
export type TerminalInfo = z.infer<typeof TerminalInfo>;

/** A guard's gate tile: the hub's fleet entry for the gate, its last passage and today's counts. */
export const GateTile = FleetGate.pick({
  gateId: true,
  online: true,
  offlineReason: true,
  thermometer: true,
  gateState: true,
  softwareVersion: true,
  configVersion: true,
  accessListVersion: true,
  lastSeenAt: true,
  outbox: true,
  terminalId: true,
}).extend({
  terminalOnline: z.boolean().nullable(),
  terminalOfflineReason: FleetGate.shape.offlineReason,
  policyVersion: z.number().int().nullable(),
  policyOverrides: z.array(z.string()),
  terminalClockOffsetMs: z.number().int().nullable(),
  /** What the gate's terminal driver reports (ISAPI: deviceInfo); null when nothing is known. */
  terminal: TerminalInfo.nullable(),
  lastPassage: LastPassage.nullable(),
  passedToday: z.number().int(),
  flaggedToday: z.number().int(),
});
export type GateTile = z.infer<typeof GateTile>;

export const CommandKind = GateCommand.shape.kind;
export type CommandKind = z.infer<typeof CommandKind>;
export const CommandStateName = z.enum(['pending', 'acknowledged', 'failed', 'timed-out']);
export type CommandStateName = z.infer<typeof CommandStateName>;

export const CommandView = z.object({
  id: z.string(),
  gateId: z.string(),
  kind: CommandKind,
  reason: z.string(),
  by: z.string(),
  at: z.number().int(),
  /** 'dashboard' when sent from here, 'wire' when another surface (OPC UA) sent it. */
  origin: z.enum(['dashboard', 'wire']),
  state: CommandStateName,
  error: z.string().nullable(),
  /** Why the gate refused, as its stable code (the pages say it in their language); null otherwise. */
  errorCode: CommandRefusal.nullable(),
  /** When the ack arrived (or when it timed out). */
  settledAt: z.number().int().nullable(),
});
export type CommandView = z.infer<typeof CommandView>;

// --- rooms ----------------------------------------------------------------------------------

export const RoomOccupant = z.object({
  alertId: z.string(),
  employeeNo: z.string().nullable(),
  name: z.string().nullable(),
  since: z.number().int(),
});
export type RoomOccupant = z.infer<typeof RoomOccupant>;

export const RoomView = z.object({
  id: z.string(),
  name: z.string(),
  capacity: z.number().int(),
  shared: z.boolean(),
  distances: z.record(z.string(), z.number()),
  occupants: z.array(RoomOccupant),
  free: z.number().int(),
});
export type RoomView = z.infer<typeof RoomView>;

// --- the hub's site data (access list, devices) ---------------------------------------------

/** The access list the gates hold; version and issuedAt null until the hub has published one. */
export const AccessListAnswer = z.object({
  v: z.literal(1),
  version: z.number().int().nullable(),
  issuedAt: z.number().int().nullable(),
  entries: z.array(AccessEntry),
});

export const AccessListImported = z.object({
  version: z.number().int(),
  entries: z.number().int(),
  mode: z.enum(['replace', 'merge']),
  /** People in the admin's file, and on the access list before the import. */
  fileRows: z.number().int(),
  before: z.number().int(),
});
export type AccessListImported = z.infer<typeof AccessListImported>;

export const DeviceView = z.object({
  id: z.string(),
  role: z.enum(['gate', 'terminal', 'dashboard', 'service']),
  site: z.string().optional(),
  gate: z.string().optional(),
  terminal: z.string().optional(),
  createdAt: z.number().int(),
  revokedAt: z.number().int().nullable(),
});
export type DeviceView = z.infer<typeof DeviceView>;

/** A new device's generated password: in this answer only. */
export const DeviceCreated = z.object({ id: z.string(), password: z.string() });

// --- site policy and person holds (the hub's) ------------------------------------------------

/** A hold request the hub has not settled yet (dashboard/site/requests.ts). */
export const HoldRequestView = z.object({
  id: z.string(),
  employeeNo: z.string(),
  action: z.enum(['open', 'stage', 'room', 'lift']),
  state: z.enum(['pending', 'refused']),
  attempts: z.number().int(),
  createdAt: z.number().int(),
  code: z.string().nullable(),
  error: z.string().nullable(),
  request: z.record(z.string(), z.unknown()),
});
export type HoldRequestView = z.infer<typeof HoldRequestView>;

export const HoldsAnswer = z.object({
  version: z.number().int().nullable(),
  holds: z.array(PersonHold),
  requests: z.array(HoldRequestView),
});
export type HoldsAnswer = z.infer<typeof HoldsAnswer>;
export const HoldAnswer = z.object({ hold: PersonHold.nullable() });

// --- system ------------------------------------------------------------------------------------

export const Health = z.object({
  ok: z.boolean(),
  db: z.boolean(),
  mqtt: z.boolean(),
  readings: z.boolean(),
});

/** Answers that are not JSON: a page, a script, Prometheus text, an event stream, a file. */
export const Text = (what: string) => z.string().describe(what);

// --- readings and reports ------------------------------------------------------------------

export const ManualReadingAnswer = z.object({ reading: ReadingRecord });
/** A guard's re-check: the alert after it and the reading stored. */
export const RecheckAnswer = z.object({ alert: AlertState, reading: ReadingRecord });

export const SelfReportImport = z.object({
  /** Data lines in the file. */
  lines: z.number().int(),
  /** Readings stored (lines that repeat another line of the file are one reading). */
  imported: z.number().int(),
  duplicates: z.number().int(),
});

/** A reading as the twice-daily log shows it (reports/twice-daily.ts LogReading). */
export const LogReading = z.object({
  id: z.string(),
  at: z.number().int(),
  /** Local 'HH:MM:SS' in the site's zone. */
  time: z.string(),
  temperatureTenths: z.number().int(),
  gateId: z.string(),
  source: TemperatureSource,
  enteredBy: z.string().nullable(),
  manual: z.boolean(),
  mask: z.string().optional(),
});

export const Checks = z.enum(['complete', 'morning-missing', 'afternoon-missing', 'absent']);
export const DayStatus = z.enum([...Checks.options, 'fever']);
export const PersonKind = z.enum(['employee', 'visitor', 'unlisted']);

/** One person on one local day of the twice-daily log (reports/twice-daily.ts PersonDayLog). */
export const PersonDayRow = z.object({
  day: z.string(),
  employeeNo: z.string(),
  name: z.string(),
  department: z.string(),
  kind: PersonKind,
  expected: z.boolean(),
  morning: LogReading.nullable(),
  afternoon: LogReading.nullable(),
  highest: LogReading.nullable(),
  highestTenths: z.number().int().nullable(),
  readings: z.number().int(),
  checks: Checks,
  status: DayStatus,
  absence: z.object({ reason: z.string(), note: z.string() }).nullable().optional(),
  declaration: z
    .object({ symptoms: z.array(z.string()), travel: z.string(), contact: z.boolean() })
    .nullable()
    .optional(),
  episode: z
    .object({ disposition: z.string().nullable(), note: z.string().nullable() })
    .nullable()
    .optional(),
});

export const PersonLogAnswer = z.object({
  employeeNo: z.string(),
  name: z.string(),
  department: z.string(),
  kind: PersonKind,
  from: z.string(),
  to: z.string(),
  timeZone: z.string(),
  split: z.string(),
  thresholdTenths: z.number().int(),
  policyVersion: z.number().int(),
  /** One row per local day of the period, oldest first. */
  days: z.array(PersonDayRow),
  /** Every reading with a temperature in the period (for the chart), oldest first. */
  readings: z.array(LogReading),
});

export const SiteDayAnswer = z.object({
  day: z.string(),
  siteId: z.string(),
  timeZone: z.string(),
  split: z.string(),
  rosterVersion: z.number().int().nullable(),
  workingDay: z.boolean(),
  thresholdTenths: z.number().int(),
  policyVersion: z.number().int(),
  rows: z.array(PersonDayRow),
  visitors: z.array(PersonDayRow),
  /** Asked with `limit`: which rows these are among the day's (reports/site-log.ts RowsPage). */
  page: z
    .object({
      offset: z.number().int(),
      limit: z.number().int(),
      status: DayStatus.nullable(),
      /** Rows of the day matching `status` (all rows without it). */
      total: z.number().int(),
    })
    .optional(),
  /** Asked with `limit`: the day's employee rows by status, whatever the page. */
  counts: z.record(DayStatus, z.number().int()).optional(),
});
