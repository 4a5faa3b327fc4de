/**
 * The hub's view of a site's devices, published retained on `tg/{siteId}/fleet` (see topics.ts)
 * and returned by the hub's fleet API. Times are epoch ms, like every other ThermoGate message.
 */
import { z } from 'zod';
import {
  AlertMessage,
  Counters,
  GateState,
  GateStatus,
  SCHEMA_VERSION,
  ThermometerState,
} from '../gate/messages.ts';
import { ID_PATTERN } from '../topics.ts';

const Id = z.string().regex(ID_PATTERN);
const EpochMs = z.number().int().nonnegative();

/**
 * Why a device counts as offline:
 * - `last-will`: the broker published its last will (connection lost without DISCONNECT);
 * - `stopped`: it said so itself before a clean disconnect;
 * - `heartbeat-timeout`: nothing heard for longer than the hub's heartbeat timeout;
 * - `not-connected`: a terminal whose retained status says online but which has no connection;
 * - `never-seen`: in the credentials file, never heard from since the hub started.
 */
export const OfflineReason = z.enum([
  'last-will',
  'stopped',
  'heartbeat-timeout',
  'not-connected',
  'never-seen',
]);
export type OfflineReason = z.infer<typeof OfflineReason>;

export const FleetGate = z.object({
  gateId: Id,
  online: z.boolean(),
  offlineReason: OfflineReason.nullable(),
  /** When `online` last changed (or when the hub first heard of the gate). */
  since: EpochMs,
  /** Last status, heartbeat or decision received. */
  lastSeenAt: EpochMs.nullable(),
  lastHeartbeatAt: EpochMs.nullable(),
  lastDecisionAt: EpochMs.nullable(),
  thermometer: ThermometerState,
  gateState: GateState,
  softwareVersion: z.string(),
  configVersion: z.string(),
  /** The access list version the gate holds (from its status or heartbeat). */
  accessListVersion: z.number().int().nonnegative().nullable(),
  /** The site policy version the gate decides with, and the site rules its own config overrides. */
  policyVersion: z.number().int().nonnegative().nullable().default(null),
  policyOverrides: z.array(z.string()).default([]),
  holdsVersion: z.number().int().nonnegative().nullable().default(null),
  /** The gate's face terminal's clock offset from the gate's, ms (null: not yet observed). */
  terminalClockOffsetMs: z.number().int().nullable().default(null),
  outbox: z
    .object({ depth: z.number().int().nonnegative(), oldestAgeS: z.number().nonnegative().nullable() })
    .nullable(),
  counters: Counters.nullable(),
  uptimeS: z.number().nonnegative().nullable(),
  /** The gate's face terminal, from the credentials file. */
  terminalId: Id.nullable(),
  /** Model, serial and firmware of an ISAPI terminal, as its gate reports them (absent otherwise). */
  terminal: GateStatus.shape.terminal,
});
export type FleetGate = z.infer<typeof FleetGate>;

export const FleetTerminal = z.object({
  terminalId: Id,
  /** The gate that owns this terminal (credentials file), if any. */
  gateId: Id.nullable(),
  online: z.boolean(),
  offlineReason: OfflineReason.nullable(),
  since: EpochMs,
  lastSeenAt: EpochMs.nullable(),
});
export type FleetTerminal = z.infer<typeof FleetTerminal>;

/** Totals of what the hub refused since it started (per-client detail: the hub's security API). */
export const SecurityTotals = z.object({
  authFailures: z.number().int().nonnegative(),
  refusedPublishes: z.number().int().nonnegative(),
  refusedSubscribes: z.number().int().nonnegative(),
  oversized: z.number().int().nonnegative(),
  throttled: z.number().int().nonnegative(),
  rateDisconnects: z.number().int().nonnegative(),
});
export type SecurityTotals = z.infer<typeof SecurityTotals>;

export const FleetSnapshot = z.object({
  v: z.literal(SCHEMA_VERSION),
  siteId: Id,
  at: EpochMs,
  hub: z.object({
    startedAt: EpochMs,
    softwareVersion: z.string(),
    connectedClients: z.number().int().nonnegative(),
  }),
  accessList: z
    .object({
      version: z.number().int().nonnegative(),
      issuedAt: EpochMs,
      entries: z.number().int().nonnegative(),
    })
    .nullable(),
  gates: z.array(FleetGate),
  terminals: z.array(FleetTerminal),
  /** Device alerts raised by the hub and not cleared yet. */
  activeAlerts: z.array(AlertMessage),
  security: SecurityTotals,
});
export type FleetSnapshot = z.infer<typeof FleetSnapshot>;
