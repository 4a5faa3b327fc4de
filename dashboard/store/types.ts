/**
 * The dashboard's and HR's read side of the readings. One interface, two backends (embedded
 * SQLite, InfluxDB) that must give identical answers: test/storage/contract.ts holds them to it.
 */
import type { Decision, ReadingRecord } from '../../protocols/gate/messages.ts';

/** A time range [from, to) in epoch ms. */
export interface Period {
  from: number;
  to: number;
}

export interface PersonQuery extends Period {
  employeeNo: string;
  siteId?: string;
  /** At most this many readings, the earliest first. */
  limit?: number;
}

export interface GateQuery extends Period {
  gateId: string;
  siteId?: string;
  limit?: number;
}

export interface PersonDayQuery {
  /** First and last local day (inclusive), YYYY-MM-DD in the store's time zone. */
  fromDay: string;
  toDay: string;
  /** Only these people (default: everybody with a reading). */
  employeeNos?: readonly string[];
  siteId?: string;
}

/**
 * One person on one local day: the first reading WITH a temperature before the split time
 * (morning) and from the split time on (afternoon). Readings without a temperature and readings
 * of unknown faces (employeeNo '') never count.
 */
export interface PersonDay {
  employeeNo: string;
  day: string;
  morning: ReadingRecord | null;
  afternoon: ReadingRecord | null;
}

export interface CountQuery extends Period {
  siteId?: string;
  gateId?: string;
}

export interface DecisionCount {
  siteId: string;
  gateId: string;
  decision: Decision;
  count: number;
}

export interface ReadingStore {
  readonly kind: 'sqlite' | 'influx';
  /** IANA zone that defines local days, e.g. Asia/Shanghai. */
  readonly timeZone: string;
  /** One person's readings in a period, ordered by time (then site, gate, seq). */
  readingsByPerson(q: PersonQuery): Promise<ReadingRecord[]>;
  /** One gate's readings in a period, same order. */
  readingsByGate(q: GateQuery): Promise<ReadingRecord[]>;
  /** First morning and afternoon reading per person and local day; sorted by employeeNo, day. */
  firstReadingsByPersonDay(q: PersonDayQuery): Promise<PersonDay[]>;
  /** Readings per site, gate and decision in a period; sorted by site, gate, decision. */
  decisionCounts(q: CountQuery): Promise<DecisionCount[]>;
  close(): Promise<void>;
}

/** How the site's days are cut. */
export interface StoreTimeOptions {
  /** IANA time zone of the site (default Asia/Shanghai). */
  timeZone?: string;
  /** Local time where the morning ends, 'HH:MM' (default '12:00'). */
  split?: string;
}
