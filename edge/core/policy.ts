/**
 * The gate's decision as a pure function on integers (tenths of °C). Everything the decision
 * depends on is an argument, so it can be tested exhaustively and explained later from the record.
 *
 * Order matters: a fever is flagged whoever the person is (a feverish visitor still needs the
 * isolation room); identity problems deny before a re-measure is asked for (re-measuring an unknown
 * face would not help); lockdown refuses what would otherwise pass. The fire alarm does not change
 * the decision, only whether the turnstile is held open (see `releases`).
 */
import type { Decision, DecisionReason } from '../../protocols/gate/messages.ts';

export interface PolicyConfig {
  feverThresholdTenths: number;
  plausibleMinTenths: number;
  plausibleMaxTenths: number;
  maskRequired: boolean;
  healthCodeRequired: boolean;
  accessListRequired: boolean;
}

export interface TemperatureInput {
  /** Final temperature (raw + offset). */
  tenths: number;
  valid: boolean;
  sensorFault: boolean;
  belowRange: boolean;
  aboveRange: boolean;
}

export interface DecisionInput {
  employeeNo: string;
  mask: 'yes' | 'no' | 'unknown';
  healthCode?: 'green' | 'yellow' | 'red';
  /** Result of the access-list check for this person at this time. */
  admitted: boolean;
  /** Undefined when no measurement could be paired with this person. */
  temperature: TemperatureInput | undefined;
  thermometerOffline: boolean;
  lockdown: boolean;
}

export interface DecisionOutcome {
  decision: Decision;
  reason: DecisionReason;
}

export function temperatureOutcome(
  t: TemperatureInput | undefined,
  offline: boolean,
  p: PolicyConfig,
): DecisionOutcome {
  if (!t) return { decision: 'remeasure', reason: offline ? 'thermometer-offline' : 'no-measurement' };
  if (t.sensorFault) return { decision: 'remeasure', reason: 'sensor-fault' };
  if (!t.valid) return { decision: 'remeasure', reason: 'no-measurement' };
  if (t.aboveRange || t.tenths > p.plausibleMaxTenths)
    return { decision: 'remeasure', reason: 'above-range' };
  if (t.belowRange || t.tenths < p.plausibleMinTenths)
    return { decision: 'remeasure', reason: 'below-range' };
  if (t.tenths >= p.feverThresholdTenths) return { decision: 'flagged', reason: 'fever' };
  return { decision: 'pass', reason: 'ok' };
}

export function decide(input: DecisionInput, p: PolicyConfig): DecisionOutcome {
  const temp = temperatureOutcome(input.temperature, input.thermometerOffline, p);
  if (temp.decision === 'flagged') return temp;
  if (input.employeeNo === '') return { decision: 'denied', reason: 'unknown-face' };
  if (p.accessListRequired && !input.admitted) return { decision: 'denied', reason: 'not-on-access-list' };
  if (p.maskRequired && input.mask !== 'yes') return { decision: 'denied', reason: 'mask-missing' };
  if (p.healthCodeRequired && input.healthCode !== 'green')
    return { decision: 'denied', reason: 'health-code' };
  if (temp.decision !== 'pass') return temp;
  if (input.lockdown) return { decision: 'denied', reason: 'lockdown' };
  return temp;
}

/** The only place that says whether a decision opens the turnstile. */
export function releases(outcome: DecisionOutcome, fireAlarm: boolean): boolean {
  return fireAlarm || outcome.decision === 'pass';
}
