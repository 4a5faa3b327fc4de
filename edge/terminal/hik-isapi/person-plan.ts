/**
 * What an ISAPI terminal's person list should hold, and what to do to get it there: pure, so the
 * tests check the mapping and the difference on their own (person-sync.ts does the I/O).
 *
 * - Every access-list entry becomes one terminal person with the same employeeNo and name;
 *   `kind: visitor` becomes `userType: visitor`, anything else `normal`.
 * - An entry with a validity (`validFrom` / `validUntil`, visitors above all) gets `Valid.enable`
 *   with the period in the terminal's local time. The gate admits `validFrom ≤ t < validUntil`
 *   (protocols/gate/access-list.ts) and the terminal `beginTime ≤ t ≤ endTime` to the second, so
 *   beginTime is validFrom rounded up to the second and endTime the last second before validUntil:
 *   the terminal is never more generous than the gate. An open end is the terminal's range limit.
 * - Without a validity the person's Valid is off (always valid on the terminal).
 */
import type { AccessEntry } from '../../../protocols/gate/access-list.ts';
import {
  formatIsapiLocalTime,
  ISAPI_TIME_MAX,
  ISAPI_TIME_MIN,
  type IsapiUser,
} from '../../../protocols/hik-isapi/index.ts';

export function terminalPerson(e: AccessEntry, timeZone: string): IsapiUser {
  const limited = e.validFrom !== null || e.validUntil !== null;
  return {
    employeeNo: e.employeeNo,
    name: e.name,
    userType: e.kind === 'visitor' ? 'visitor' : 'normal',
    valid: limited
      ? {
          enable: true,
          beginTime:
            e.validFrom === null
              ? ISAPI_TIME_MIN
              : formatIsapiLocalTime(Math.ceil(e.validFrom / 1000) * 1000, timeZone),
          endTime: e.validUntil === null ? ISAPI_TIME_MAX : formatIsapiLocalTime(e.validUntil - 1, timeZone),
        }
      : { enable: false, beginTime: ISAPI_TIME_MIN, endTime: ISAPI_TIME_MAX },
  };
}

/** Same person as far as the terminal's recognition goes (name, type, validity). */
export function samePerson(a: IsapiUser, b: IsapiUser): boolean {
  if (a.name !== b.name || a.userType !== b.userType || a.valid.enable !== b.valid.enable) return false;
  // With validity off the times mean nothing to the terminal.
  if (!a.valid.enable) return true;
  return a.valid.beginTime === b.valid.beginTime && a.valid.endTime === b.valid.endTime;
}

export interface PersonPlan {
  /** On the list, not on the terminal: `UserInfo/Record`. */
  record: IsapiUser[];
  /** On both, but different: `UserInfo/Modify`. */
  modify: IsapiUser[];
  /** On the terminal, not on the list: `UserInfo/Delete` (their faces go with them). */
  remove: string[];
}

export function planPersonSync(
  wanted: ReadonlyMap<string, IsapiUser>,
  onTerminal: ReadonlyMap<string, IsapiUser>,
): PersonPlan {
  const plan: PersonPlan = { record: [], modify: [], remove: [] };
  for (const [no, want] of wanted) {
    const has = onTerminal.get(no);
    if (!has) plan.record.push(want);
    else if (!samePerson(want, has)) plan.modify.push(want);
  }
  for (const no of onTerminal.keys()) if (!wanted.has(no)) plan.remove.push(no);
  return plan;
}

export const planSize = (p: PersonPlan): number => p.record.length + p.modify.length + p.remove.length;
