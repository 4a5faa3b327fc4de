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
  /**
   * How the hub's OPC UA server shows it (hub/opcua/): the ThermoGate subtype of
   * AlarmConditionType and the gate variable it is about (its InputNode); null: dashboard only.
   * Part of the OPC UA interface SCADA clients are configured against, so it lives with the kind.
   */
  opcua: { type: string; input: string } | null;
}

export const ALERT_KINDS = {
  fever: {
    severity: 'critical',
    scope: 'person',
    opcua: { type: 'FeverAlarmType', input: 'LastTemperature' },
  },
  'fire-alarm': {
    severity: 'critical',
    scope: 'condition',
    opcua: { type: 'FireAlarmType', input: 'GateState' },
  },
  'remeasure-repeated': { severity: 'major', scope: 'person', opcua: null },
  'held-person': { severity: 'major', scope: 'person', opcua: null },
  'declared-symptom': { severity: 'major', scope: 'person', opcua: null },
  'sensor-fault': {
    severity: 'major',
    scope: 'condition',
    opcua: { type: 'SensorFaultAlarmType', input: 'ThermometerState' },
  },
  'thermometer-offline': {
    severity: 'major',
    scope: 'condition',
    opcua: { type: 'ThermometerOfflineAlarmType', input: 'ThermometerState' },
  },
  'gate-offline': {
    severity: 'major',
    scope: 'condition',
    opcua: { type: 'GateOfflineAlarmType', input: 'Online' },
  },
  'terminal-clock': { severity: 'major', scope: 'condition', opcua: null },
  'outbox-filling': { severity: null, scope: 'condition', opcua: null },
  'mask-missing': { severity: 'minor', scope: 'person', opcua: null },
  'unknown-person': { severity: 'minor', scope: 'person', opcua: null },
  'not-on-access-list': { severity: 'minor', scope: 'person', opcua: null },
  tailgating: { severity: 'minor', scope: 'gate', opcua: null },
  'terminal-person-sync': { severity: 'major', scope: 'condition', opcua: null },
  'site-list-rejected': { severity: 'major', scope: 'condition', opcua: null },
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

/** The kinds the OPC UA server mirrors as alarm conditions (the others stay on the dashboard). */
export type OpcuaKind = {
  [K in AlertKind]: (typeof ALERT_KINDS)[K]['opcua'] extends null ? never : K;
}[AlertKind];
export const OPCUA_KINDS = (Object.keys(ALERT_KINDS) as AlertKind[]).filter(
  (k): k is OpcuaKind => ALERT_KINDS[k].opcua !== null,
);
