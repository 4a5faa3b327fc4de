/**
 * The gate's decision as a pure function on integers (tenths of °C): the ONLY place that says
 * whether the turnstile opens. Every condition is an argument (the measurement, the person and
 * their access entry, a person hold, lockdown, the fire alarm, whether the reading can be stored,
 * whether the person is still at the terminal, the face match's similarity), and the outcome is
 * exactly what is recorded: no record says `pass` for a person who was kept out.
 *
 * Order matters: a fever is flagged whoever the person is (a feverish visitor still needs the
 * isolation room); a held person is refused before anything else is asked of them (the hold is
 * why, whatever their temperature now: a forehead cooled by the walk to the next gate reads
 * normal); identity problems deny before a re-measure is asked for (re-measuring an unknown face
 * would not help); lockdown refuses what would otherwise pass; then what the gate itself cannot
 * do (the person left, the reading cannot be kept). The fire alarm does not change the decision,
 * only whether the turnstile is released.
 */
import type { Decision, DecisionReason } from '../../protocols/gate/messages.ts';
import type { SiteRules } from '../../protocols/site/policy.ts';

/** The site rules the decision uses (protocols/site/policy.ts), as the gate holds them. */
export type PolicyConfig = SiteRules;

export interface TemperatureInput {
  /** Final temperature (raw + offset). */
  tenths: number;
  valid: boolean;
  sensorFault: boolean;
  belowRange: boolean;
  aboveRange: boolean;
}

/**
 * - `live`: a realtime event the gate can still answer: the person is at the terminal;
 * - `late`: a realtime event that arrived, or was decided, past the terminal's deadline (held by
 *   the broker, or a wait for the measurement that ran out): whoever stands there now is
 *   somebody else;
 * - `offline`: a record the terminal cached while offline and uploads later: kept, never actuated.
 */
export type EventMode = 'live' | 'late' | 'offline';

export interface DecisionInput {
  employeeNo: string;
  /** The terminal's face-match similarity (0..1); undefined where the terminal reports none. */
  similarity?: number | undefined;
  mask: 'yes' | 'no' | 'unknown';
  healthCode?: 'green' | 'yellow' | 'red' | undefined;
  /** Result of the access-list check for this person at this time. */
  admitted: boolean;
  /** An open person hold on this employee (flagged earlier at any gate of the site). */
  held: boolean;
  /** Undefined when no measurement could be paired with this person. */
  temperature: TemperatureInput | undefined;
  thermometerOffline: boolean;
  lockdown: boolean;
  fireAlarm: boolean;
  /** The reading can be committed (false: outbox policy 'refuse' and no room). */
  recordable: boolean;
  mode: EventMode;
}

export interface DecisionOutcome {
  decision: Decision;
  reason: DecisionReason;
  /** Whether the turnstile is released for this passage. */
  release: boolean;
}

type Verdict = Omit<DecisionOutcome, 'release'>;

export function temperatureOutcome(
  t: TemperatureInput | undefined,
  offline: boolean,
  p: Pick<PolicyConfig, 'feverThresholdTenths' | 'plausibleMinTenths' | 'plausibleMaxTenths'>,
): Verdict {
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

/** What the rules say of this person and reading, before what the gate can do about it. */
function byRules(i: DecisionInput, p: PolicyConfig): Verdict {
  const temp = temperatureOutcome(i.temperature, i.thermometerOffline, p);
  if (temp.decision === 'flagged') return temp;
  const known = i.employeeNo !== '' && (i.similarity === undefined || i.similarity >= p.minSimilarity);
  // A match too weak to trust is nobody: a hold or an access entry must not be borrowed by a look-alike.
  if (!known) return { decision: 'denied', reason: 'unknown-face' };
  if (i.held) return { decision: 'denied', reason: 'held' };
  if (p.accessListRequired && !i.admitted) return { decision: 'denied', reason: 'not-on-access-list' };
  if (p.maskRequired && i.mask !== 'yes') return { decision: 'denied', reason: 'mask-missing' };
  if (p.healthCodeRequired && i.healthCode !== 'green') return { decision: 'denied', reason: 'health-code' };
  if (temp.decision !== 'pass') return temp;
  if (i.lockdown) return { decision: 'denied', reason: 'lockdown' };
  return temp;
}

export function decide(i: DecisionInput, p: PolicyConfig): DecisionOutcome {
  const v = byRules(i, p);
  if (i.mode === 'offline') {
    // The terminal decided on its own back then; the record keeps what the rules say of it.
    const reason = v.decision === 'pass' ? 'offline-record' : v.reason;
    return { decision: v.decision, reason, release: false };
  }
  let out = v;
  // Whoever stands at the terminal now is somebody else: neither a pass nor a request to measure
  // again is for them. A fever or a refusal by the rules is still recorded as such.
  if (i.mode === 'late' && (out.decision === 'pass' || out.decision === 'remeasure'))
    out = { decision: 'denied', reason: 'late' };
  // Nobody passes unrecorded. A fire alarm still opens (safety first): the reading is kept as far as possible.
  if (out.decision === 'pass' && !i.recordable && !i.fireAlarm)
    out = { decision: 'denied', reason: 'not-recording' };
  const release = i.fireAlarm ? i.mode === 'live' : out.decision === 'pass';
  return { ...out, release };
}
