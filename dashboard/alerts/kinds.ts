/**
 * What each alert kind is: its severity, whether it is a person episode or a gate condition, and
 * which incoming messages continue an open alert instead of raising a new one.
 */
import { alertConditionKey, alertSeverity, isConditionKind } from '../../protocols/gate/alert-kinds.ts';
import type { AlertKind, AlertMessage } from '../../protocols/gate/messages.ts';

export type Severity = AlertMessage['severity'];

/** The kind's severity from the one registry (protocols/gate/alert-kinds.ts); the outbox's own grading is kept. */
export const severityOf = (kind: AlertKind, reported: Severity): Severity => alertSeverity(kind, reported);

export const SEVERITY_RANK: Record<Severity, number> = { critical: 0, major: 1, minor: 2, info: 3 };

/** Only these page somebody when no guard acknowledges them. */
export const escalates = (s: Severity): boolean => s === 'critical' || s === 'major';

/**
 * Conditions of a device: raised when they start and cleared by the same source when they end
 * (fire alarm over, thermometer back, gate back online). Everything else is about a person or a
 * passage and is cleared by a guard.
 */
export const isCondition = (kind: AlertKind): boolean => isConditionKind(kind);

/**
 * The condition an alert message is about: the protocol's one key (protocols/gate/alert-kinds.ts),
 * the same for a raise and its clear from the gate or the hub, across their restarts.
 */
export const conditionKey = (a: Pick<AlertMessage, 'kind' | 'gateId' | 'device'>): string =>
  alertConditionKey(a);

/** Without an employee number several strangers cannot be told apart: only a short burst is one alert. */
export const ANONYMOUS_WINDOW_MS = 2 * 60_000;

/**
 * The episode a person alert belongs to: the same person (site-wide: trying another gate is the
 * same episode) or, for passages without a known person, the same gate within a short window.
 */
export function episodeKey(
  kind: AlertKind,
  gateId: string,
  employeeNo: string | null,
  episodeWindowMs: number,
): { key: string; windowMs: number } {
  if (kind === 'tailgating') return { key: `${kind}|gate|${gateId}`, windowMs: episodeWindowMs };
  if (employeeNo) return { key: `${kind}|person|${employeeNo}`, windowMs: episodeWindowMs };
  return { key: `${kind}|gate|${gateId}`, windowMs: Math.min(ANONYMOUS_WINDOW_MS, episodeWindowMs) };
}
