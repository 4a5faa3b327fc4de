/**
 * Readings entered by people: a guard's or HR's handheld/contact measurement, or an employee's
 * self-report (imported by HR). Each becomes a ReadingRecord with its source, `enteredBy` and,
 * when it was taken at no gate, gateId 'manual'.
 *
 * Ids: `<site>:manual:<source>:<hash>` of what the reading says (site, gate, person, time,
 * temperature, source). A gate's ids are `<site>:<gate>:<seq>`, so a manual reading can never
 * take a gate reading's place; the same reading entered twice (a double click, a re-imported
 * file) is one reading, and a failed import can simply be sent again. `seq` comes from the same
 * hash: it only keeps two manual readings of one millisecond apart in InfluxDB.
 */
import { createHash } from 'node:crypto';
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import { ID_PATTERN } from '../../protocols/topics.ts';
import { BODY_MAX_TENTHS, BODY_MIN_TENTHS, handReading } from '../store/hand-reading.ts';
import type { Roster } from './roster.ts';

/** The gate id of a reading taken at no gate (HR's desk, at home). */
export const MANUAL_GATE_ID = 'manual';
/** A clock a little ahead of ours is not "the future". */
const FUTURE_SLACK_MS = 60_000;
const DAY = 86_400_000;

export type ManualSource = 'handheld' | 'self-report';

export interface ManualEntry {
  employeeNo: string;
  temperatureTenths: number;
  source: ManualSource;
  at: number;
  gateId: string;
}

export interface EntryProblem {
  field: 'employeeNo' | 'temperature' | 'at' | 'gateId';
  reason: string;
  /** Not on the access list (answered with its own code for a single entry). */
  unknownPerson?: boolean;
  /** Stable code of the problem, with what a page needs to say it (import errors). */
  problem: string;
  params?: Record<string, string | number>;
}

export interface EntryRules {
  now: number;
  /** Older readings would fall out of the store's retention at once. */
  retentionDays: number;
  roster: Roster;
}

export function checkEntry(e: ManualEntry, rules: EntryRules): EntryProblem | null {
  if (e.employeeNo.trim() === '' || e.employeeNo.length > 64)
    return {
      field: 'employeeNo',
      reason: 'an employee number of 1 to 64 characters',
      problem: e.employeeNo.trim() === '' ? 'employee-no-empty' : 'employee-no-too-long',
    };
  // Without a roster yet nobody can be checked against it; the reading is kept all the same.
  if (rules.roster.snapshot && !rules.roster.get(e.employeeNo))
    return {
      field: 'employeeNo',
      reason: `${e.employeeNo} is not on the access list`,
      unknownPerson: true,
      problem: 'unknown-person',
      params: { no: e.employeeNo },
    };
  const t = e.temperatureTenths;
  if (!Number.isInteger(t) || t < BODY_MIN_TENTHS || t > BODY_MAX_TENTHS)
    return {
      field: 'temperature',
      reason: `a body temperature from ${BODY_MIN_TENTHS / 10} to ${BODY_MAX_TENTHS / 10} °C, got ${t / 10}`,
      problem: 'temperature-range',
      params: { value: t / 10 },
    };
  if (!Number.isInteger(e.at) || e.at > rules.now + FUTURE_SLACK_MS)
    return { field: 'at', reason: 'a time that is not in the future', problem: 'future' };
  if (e.at < rules.now - rules.retentionDays * DAY)
    return {
      field: 'at',
      reason: `older than the ${rules.retentionDays}-day retention of readings`,
      problem: 'too-old',
      params: { days: rules.retentionDays },
    };
  if (!ID_PATTERN.test(e.gateId))
    return { field: 'gateId', reason: 'letters, digits, "_" or "-" (1 to 64)', problem: 'bad-gate' };
  return null;
}

export function manualRecord(siteId: string, e: ManualEntry, enteredBy: string, now: number): ReadingRecord {
  const hash = createHash('sha256')
    .update(JSON.stringify([siteId, e.gateId, e.employeeNo, e.at, e.temperatureTenths, e.source]))
    .digest('hex');
  return handReading({
    id: `${siteId}:manual:${e.source}:${hash.slice(0, 24)}`,
    siteId,
    gateId: e.gateId,
    seq: Number.parseInt(hash.slice(24, 32), 16),
    at: e.at,
    recordedAt: now,
    employeeNo: e.employeeNo,
    temperatureTenths: e.temperatureTenths,
    source: e.source,
    enteredBy,
  });
}
