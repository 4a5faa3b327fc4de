/**
 * Every alert kind in one table: how severe it is and what it is about. The gate, the hub and the
 * dashboard all read it, so a new kind is one entry here (plus its translations), not edits
 * across packages. `satisfies` makes a missing kind a compile error.
 * - `person`: about a person's passage; one alert per person episode, cleared by a guard;
 * - `condition`: a device condition, raised when it starts and cleared by its source when it ends;
 * - `gate`: about a gate's passages with no person to tell apart (tailgating).
 * `severity: null`: the sender grades it (the outbox fill level) and that word is kept.
 */
import type { AlertKind } from './messages.ts';

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
  'terminal-person-sync': { severity: 'major', scope: 'condition' },
} as const satisfies Record<AlertKind, AlertKindInfo>;

/** The registry's severity for a kind, or the sender's own grading where the registry has none. */
export function alertSeverity(kind: AlertKind, reported: Severity): Severity {
  return ALERT_KINDS[kind].severity ?? reported;
}

export const isConditionKind = (kind: AlertKind): boolean => ALERT_KINDS[kind].scope === 'condition';
