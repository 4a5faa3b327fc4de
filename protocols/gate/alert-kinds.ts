/**
 * Every alert kind in one table: how severe it is and what it is about. The gate, the hub and the
 * dashboard all read it, so a new kind is one entry here (plus its translations), not edits
 * across packages. `satisfies` makes a missing kind a compile error.
 * - `person`: about a person's passage; one alert per person episode, cleared by a guard;
 * - `condition`: a device condition, raised when it starts and cleared by its source when it ends;
 * - `gate`: about a gate's passages with no person to tell apart (tailgating).
 * `severity: null`: the sender grades it (the outbox fill level) and that word is kept.
 */
import type { AlertKind, AlertMessage } from './messages.ts';

type Severity = 'critical' | 'major' | 'minor' | 'info';

export interface AlertKindInfo {
  severity: Severity | null;
  scope: 'person' | 'condition' | 'gate';
}

export const ALERT_KINDS = {
  fever: { severity: 'critical', scope: 'person' },
  'fire-alarm': { severity: 'critical', scope: 'condition' },
  'remeasure-repeated': { severity: 'major', scope: 'person' },
  'held-person': { severity: 'major', scope: 'person' },
  'declared-symptom': { severity: 'major', scope: 'person' },
  'sensor-fault': { severity: 'major', scope: 'condition' },
  'thermometer-offline': { severity: 'major', scope: 'condition' },
  'gate-offline': { severity: 'major', scope: 'condition' },
  'terminal-clock': { severity: 'major', scope: 'condition' },
  'outbox-filling': { severity: null, scope: 'condition' },
  'mask-missing': { severity: 'minor', scope: 'person' },
  'unknown-person': { severity: 'minor', scope: 'person' },
  'not-on-access-list': { severity: 'minor', scope: 'person' },
  tailgating: { severity: 'minor', scope: 'gate' },
} as const satisfies Record<AlertKind, AlertKindInfo>;

/** The registry's severity for a kind, or the sender's own grading where the registry has none. */
export function alertSeverity(kind: AlertKind, reported: Severity): Severity {
  return ALERT_KINDS[kind].severity ?? reported;
}

export const isConditionKind = (kind: AlertKind): boolean => ALERT_KINDS[kind].scope === 'condition';

/** The device a condition alert is about: the gate itself or its face terminal. */
export type AlertDevice = 'gate' | 'terminal';

/**
 * The one key of a device condition across gate, hub and dashboard: the same for its raise and its
 * clear whoever sends them and across the sender's restarts. Message ids are not that key (a gate
 * makes a new id for every raise and clear; the hub one per episode), so receivers pair on this.
 * Issue #21: the dashboard used to pair by stripping the hub's id with a regex.
 */
export const conditionKey = (kind: AlertKind, device: AlertDevice, deviceId: string): string =>
  `${kind}|${device}|${deviceId}`;

export function parseConditionKey(
  key: string,
): { kind: string; device: AlertDevice; deviceId: string } | undefined {
  const m = /^([a-z-]+)\|(gate|terminal)\|([^|]+)$/.exec(key);
  return m ? { kind: m[1] as string, device: m[2] as AlertDevice, deviceId: m[3] as string } : undefined;
}

/** The condition key of a condition alert, from its message (no `device`: the gate itself). */
export const alertConditionKey = (a: Pick<AlertMessage, 'kind' | 'gateId' | 'device'>): string =>
  conditionKey(a.kind, a.device?.kind ?? 'gate', a.device?.id ?? a.gateId);
