/**
 * The guard's board's state, as pure functions (unit-tested without a browser): alerts merged
 * from the list and the live feed, their order, and which of them must sound the alarm.
 */
import type { AlertState } from '../../../protocols/dashboard/messages.ts';

const SEVERITY_RANK: Record<AlertState['severity'], number> = { critical: 0, major: 1, minor: 2, info: 3 };

/** Open ones first, then the most severe, then the newest. */
export function compareAlerts(a: AlertState, b: AlertState): number {
  const openA = a.state === 'cleared' ? 1 : 0;
  const openB = b.state === 'cleared' ? 1 : 0;
  if (openA !== openB) return openA - openB;
  const sev = SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity];
  if (sev !== 0) return sev;
  return b.raisedAt - a.raisedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Applies one alert change from the feed. A change older than what we hold (the feed may replay
 * after a refetch) is ignored; a cleared alert leaves the open queue.
 */
export function applyAlert(list: AlertState[], a: AlertState): AlertState[] {
  const i = list.findIndex((x) => x.id === a.id);
  if (i >= 0 && (list[i] as AlertState).updatedAt > a.updatedAt) return list;
  const next = i >= 0 ? list.filter((_, j) => j !== i) : [...list];
  if (a.state !== 'cleared') next.push(a);
  return next.sort(compareAlerts);
}

/** A key per "thing to shout about": a fever nobody acknowledged, and again when the person retries. */
export function alarmKey(a: AlertState): string | null {
  if (a.kind !== 'fever' || a.state !== 'active-unacknowledged') return null;
  return `${a.id}#${a.occurrences}`;
}

/** The alerts that must sound now: unacknowledged fevers the guard has not silenced. */
export function alarming(list: AlertState[], silenced: ReadonlySet<string>): AlertState[] {
  return list.filter((a) => {
    const k = alarmKey(a);
    return k !== null && !silenced.has(k);
  });
}

export type AlertAction = 'ack' | 'arrival' | 'recheck' | 'close' | 'clear';

/**
 * The buttons a guard gets for an alert. A fever episode walks assigned → arrived → rechecked →
 * closed; other alerts are acknowledged and cleared.
 */
export function actionsFor(a: AlertState): AlertAction[] {
  if (a.state === 'cleared') return [];
  const out: AlertAction[] = [];
  if (a.state === 'active-unacknowledged') out.push('ack');
  if (a.stage === null) {
    // A device still down cannot be cleared (the server refuses too): acknowledging is all there is.
    if (a.facts?.conditionActive !== true) out.push('clear');
    return out;
  }
  // Arrival in the room, or, with no room free, at the gate's isolation area (then re-checked there).
  if (a.stage === 'assigned' || a.stage === 'waiting-for-room') out.push('arrival');
  if (a.stage === 'arrived' || a.stage === 'rechecked') out.push('recheck');
  if (a.stage === 'rechecked') out.push('close');
  return out;
}

/**
 * A freshly fetched open-alert list, with the feed's changes that arrived while the request was in
 * flight applied on top (applyAlert keeps whichever copy is newer), so neither side is lost.
 */
export function mergeFetched(fetched: AlertState[], arrivedMeanwhile: AlertState[]): AlertState[] {
  let out = fetched.filter((a) => a.state !== 'cleared').sort(compareAlerts);
  for (const a of arrivedMeanwhile) out = applyAlert(out, a);
  return out;
}

/** The state of a command only moves forward: pending, then acknowledged / failed / timed-out. */
interface CommandLike {
  id: string;
  at: number;
  state: string;
}

/**
 * Applies a command from the feed or from the POST's answer, newest first. The gate's ack can reach
 * the page over the feed before the POST that sent the command has answered "pending": a settled
 * state is never replaced by pending.
 */
export function applyCommand<C extends CommandLike>(list: C[], c: C): C[] {
  const old = list.find((x) => x.id === c.id);
  if (old && old.state !== 'pending' && c.state === 'pending') return list;
  return [c, ...list.filter((x) => x.id !== c.id)].sort((a, b) => b.at - a.at);
}
