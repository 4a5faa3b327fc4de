/**
 * What the dashboard says on the wire (MQTT), besides the gate commands of gate/messages.ts:
 * - the isolation plan it keeps retained for each gate, so that a gate names the room in a fever
 *   verdict at once, without asking anyone (it keeps deciding when the dashboard is away);
 * - the state of every alert it manages, so that other consumers (the OPC UA server) show the same
 *   alerts, and the acknowledgements they send back.
 * Topics: DashboardTopic in ../topics.ts.
 */
import { z } from 'zod';
import { AlertKind, SCHEMA_VERSION, Severity } from '../gate/messages.ts';
import { ID_PATTERN } from '../topics.ts';

const Id = z.string().regex(ID_PATTERN);
const EpochMs = z.number().int().nonnegative();
const Tenths = z.number().int().min(-1000).max(2000);

/**
 * Retained on `tg/{site}/gate/{gate}/isolation`: where the gate sends its next flagged person.
 * The dashboard recomputes it after every assignment and every room change (nearest room to the
 * gate, then the least full; different gates get different rooms while free ones remain). `room`
 * null means every room is full: the gate tells the person to wait for a guard.
 */
export const IsolationPlan = z.object({
  v: z.literal(SCHEMA_VERSION),
  siteId: Id,
  gateId: Id,
  room: z
    .object({
      id: Id,
      /** Short text for the terminal's screen (≤ 24 chars), e.g. "隔离室 A2". */
      name: z.string().min(1).max(24),
    })
    .nullable(),
  at: EpochMs,
});
export type IsolationPlan = z.infer<typeof IsolationPlan>;

/** The lifecycle of an alert, as on the big IoT platforms (ThingsBoard, AWS IoT Events). */
export const AlertLifecycle = z.enum(['active-unacknowledged', 'active-acknowledged', 'cleared']);
export type AlertLifecycle = z.infer<typeof AlertLifecycle>;

/** How a fever episode ended. */
export const Disposition = z.enum(['cleared-to-enter', 'sent-home', 'referred-to-hospital']);
export type Disposition = z.infer<typeof Disposition>;

/** Where a fever episode stands (null for alerts that are not fever episodes). */
export const EpisodeStage = z.enum(['assigned', 'waiting-for-room', 'arrived', 'rechecked', 'closed']);
export type EpisodeStage = z.infer<typeof EpisodeStage>;

/**
 * Published (QoS 1, not retained) on `tg/{site}/dashboard/alert` at every change of an alert, and
 * as a retained list of every alert not yet cleared on `tg/{site}/dashboard/alerts`
 * (`AlertStateList`), so a consumer that starts late sees the open alerts at once.
 */
export const AlertState = z.object({
  v: z.literal(SCHEMA_VERSION),
  /** The dashboard's alert id (one per person episode / per gate condition). */
  id: z.string().min(1).max(160),
  siteId: Id,
  gateId: Id,
  kind: AlertKind,
  severity: Severity,
  state: AlertLifecycle,
  raisedAt: EpochMs,
  updatedAt: EpochMs,
  /** Times the condition was reported for this episode (a person trying again counts here). */
  occurrences: z.number().int().min(1),
  employeeNo: z.string().max(64).nullable(),
  /** The person's name; personal data, so only on the site's own broker. */
  name: z.string().max(128).nullable(),
  temperatureTenths: Tenths.nullable(),
  roomId: Id.nullable(),
  stage: EpisodeStage.nullable(),
  acknowledgedBy: z.string().max(64).nullable(),
  acknowledgedAt: EpochMs.nullable(),
  clearedAt: EpochMs.nullable(),
  disposition: Disposition.nullable(),
  /** Escalated (webhook sent) because nobody acknowledged in time, or because every room was full. */
  escalated: z.boolean(),
  /** English text for logs and other consumers; pages render `facts` and the fields above instead. */
  detail: z.string().max(500),
  /**
   * What a page needs to say the detail in its own language (added for issue #18; optional, so
   * older consumers and producers are unaffected): whether a device condition still holds, which
   * device went offline (a gate or its face terminal), the re-check taken, and the words a guard
   * typed when closing or clearing.
   */
  facts: z
    .object({
      conditionActive: z.boolean().nullable(),
      device: z.enum(['gate', 'terminal']).nullable(),
      deviceId: z.string().max(64).nullable(),
      recheckTenths: Tenths.nullable(),
      userNote: z.string().max(500).nullable(),
    })
    .optional(),
});
export type AlertState = z.infer<typeof AlertState>;

export const AlertStateList = z.object({
  v: z.literal(SCHEMA_VERSION),
  siteId: Id,
  at: EpochMs,
  alerts: z.array(AlertState),
});
export type AlertStateList = z.infer<typeof AlertStateList>;

/**
 * Sent to the dashboard on `tg/{site}/dashboard/alert-ack` (QoS 1) by another operator surface
 * (the OPC UA server) when a user there acknowledges an alert. The dashboard applies it, audits it
 * and publishes the new AlertState; acknowledging an already acknowledged alert is a no-op.
 */
export const AlertAckRequest = z.object({
  v: z.literal(SCHEMA_VERSION),
  alertId: z.string().min(1).max(160),
  /** e.g. `opcua:operator1`. */
  by: z.string().min(1).max(64),
  comment: z.string().max(200).default(''),
  at: EpochMs,
});
export type AlertAckRequest = z.infer<typeof AlertAckRequest>;
