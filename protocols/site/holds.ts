/**
 * Person holds: a flag that follows the person. A fever at any gate opens a hold on that person,
 * and every gate of the site refuses a held person, whatever their temperature now, until the
 * episode is closed with a disposition that clears them (the plans: temporary isolation room,
 * contact re-check, home or fever clinic, back only with a hospital's certificate).
 *
 * The hub owns the list (it opens a hold on a gate's fever decision by itself, so a site with no
 * dashboard, or a dashboard that is down, is protected too) and publishes it like the access list:
 * a retained versioned snapshot on `tg/{site}/holds` and changes on `tg/{site}/holds/changes`.
 * Lifted holds stay in the list (state `lifted`) for a while, so that a gate can tell that the hub
 * has seen the fever it flagged itself (by its reading id) and drop its own local flag.
 * The dashboard asks for changes with a `HoldRequest`; the hub answers with a `HubReply`.
 */
import { z } from 'zod';
import { ID_PATTERN } from '../topics.ts';
import { versionedChange, versionedSnapshot } from './versioned-list.ts';

const SCHEMA_VERSION = 1;
const EpochMs = z.number().int().nonnegative();
const Id = z.string().regex(ID_PATTERN);

/**
 * Why a person is held now. `fever`: flagged at a gate, episode open (isolation room, re-check).
 * `sent-home` / `referred-to-hospital`: closed that way; back only when HR lifts the hold (hospital
 * certificate). `manual`: opened by HR or a guard (e.g. a declared symptom).
 */
export const HoldStage = z.enum(['fever', 'sent-home', 'referred-to-hospital', 'manual']);
export type HoldStage = z.infer<typeof HoldStage>;

/** Why a hold was lifted: the contact re-check was normal, a hospital's certificate was seen, other. */
export const LiftReason = z.enum(['recheck-normal', 'certificate', 'other']);
export type LiftReason = z.infer<typeof LiftReason>;

export const HoldRoom = z.object({ id: Id, name: z.string().min(1).max(24) });
export type HoldRoom = z.infer<typeof HoldRoom>;

export const PersonHold = z.object({
  employeeNo: z.string().min(1).max(64),
  name: z.string().max(128).default(''),
  state: z.enum(['active', 'lifted']),
  stage: HoldStage,
  /** When the hold opened (the first flag of the episode). */
  since: EpochMs,
  updatedAt: EpochMs,
  /** The gate that flagged the person (null for a manual hold). */
  gateId: Id.nullable(),
  temperatureTenths: z.number().int().nullable(),
  /** The flagged readings this hold covers (a gate drops its own local flag once the hub lists it). */
  readingIds: z.array(z.string().min(1).max(160)).max(32),
  /** The isolation room the person was told (kept by the dashboard); null: the isolation area. */
  room: HoldRoom.nullable(),
  /** Who opened or last changed it: `gate:gate-1`, `hub`, `dashboard:alice`. */
  by: z.string().max(64),
  note: z.string().max(200).default(''),
  liftedAt: EpochMs.nullable().default(null),
  liftedBy: z.string().max(64).nullable().default(null),
  liftReason: LiftReason.nullable().default(null),
  /** Date the person may return (from the certificate), local YYYY-MM-DD. */
  returnDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .nullable()
    .default(null),
});
export type PersonHold = z.infer<typeof PersonHold>;

export const HoldsSnapshot = versionedSnapshot(PersonHold);
export type HoldsSnapshot = z.infer<typeof HoldsSnapshot>;
export const HoldsChange = versionedChange(PersonHold);
export type HoldsChange = z.infer<typeof HoldsChange>;

export const holdKey = (h: Pick<PersonHold, 'employeeNo'>): string => h.employeeNo;

/** A hold that refuses the person right now. */
export const isActiveHold = (h: PersonHold | undefined): h is PersonHold => h?.state === 'active';

/**
 * The dashboard (or another operator surface) asks the hub, on `tg/{site}/dashboard/hold-request`.
 * - `open`: a manual hold (HR, or a declared symptom);
 * - `stage`: an episode closed as sent home / referred (the hold stays until HR lifts it);
 * - `room`: the room the person was sent to;
 * - `lift`: the person is cleared. `readingIds`, when given, are the flags the closer has seen: a
 *   hold that covers a newer flag (the person was flagged again meanwhile) is not lifted.
 */
const RequestBase = {
  v: z.literal(SCHEMA_VERSION),
  /** Request id, echoed in the HubReply. */
  id: z.string().min(1).max(64),
  at: EpochMs,
  by: z.string().min(1).max(64),
  employeeNo: z.string().min(1).max(64),
};
export const HoldRequest = z.discriminatedUnion('action', [
  z.object({
    ...RequestBase,
    action: z.literal('open'),
    name: z.string().max(128).default(''),
    note: z.string().max(200).default(''),
  }),
  z.object({
    ...RequestBase,
    action: z.literal('stage'),
    stage: z.enum(['sent-home', 'referred-to-hospital']),
    note: z.string().max(200).default(''),
  }),
  z.object({ ...RequestBase, action: z.literal('room'), room: HoldRoom.nullable() }),
  z.object({
    ...RequestBase,
    action: z.literal('lift'),
    reason: LiftReason,
    note: z.string().max(200).default(''),
    returnDate: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/)
      .nullable()
      .default(null),
    readingIds: z.array(z.string().min(1).max(160)).max(64).optional(),
  }),
]);
export type HoldRequest = z.infer<typeof HoldRequest>;
export type HoldRequestInput = z.input<typeof HoldRequest>;

/** The hub's answer to a HoldRequest or PolicyRequest, on `tg/{site}/hub/reply` (QoS 1). */
export const HubReply = z.object({
  v: z.literal(SCHEMA_VERSION),
  id: z.string().min(1).max(64),
  ok: z.boolean(),
  /** Stable code when refused (`TG_HUB_HOLD_NOT_FOUND`, `TG_HUB_HOLD_NEWER_FLAG`, `TG_HUB_POLICY_INVALID`, …). */
  code: z.string().max(64).nullable(),
  error: z.string().max(500).nullable(),
  /** The holds or policy version after the request. */
  version: z.number().int().nonnegative().nullable(),
  at: EpochMs,
});
export type HubReply = z.infer<typeof HubReply>;
