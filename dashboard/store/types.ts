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
  /** Local 'HH:MM' where the morning ends (the site policy's afternoonFrom); default: the store's split. */
  split?: string;
  /**
   * The plausible range of the site policy, inclusive, in tenths (default 340–420, the built-in
   * policy's): a reading outside it (an offline upload of 20.0 °C) is no check.
   */
  plausible?: { minTenths: number; maxTenths: number };
}

/** The built-in policy's plausible range (protocols/site/policy.ts SiteRules defaults). */
export const DEFAULT_PLAUSIBLE = { minTenths: 340, maxTenths: 420 } as const;

/**
 * One person on one local day: the first reading that is a CHECK before the split time (morning)
 * and from the split time on (afternoon). A check has a temperature inside the plausible range, a
 * known person (employeeNo ≠ '') and a decision other than `remeasure`; nothing else ever counts.
 */
export interface PersonDay {
  employeeNo: string;
  day: string;
  morning: ReadingRecord | null;
  afternoon: ReadingRecord | null;
}

/** Every reading of a period, handed over page by page (a month of a whole site is never held at once). */
export interface ScanQuery extends Period {
  siteId?: string;
  /** Only these people (default: everybody, unknown faces included unless measuredOnly). */
  employeeNos?: readonly string[];
  /** Only readings that count for the logs: with a temperature, of a known person (employeeNo ≠ ''). */
  measuredOnly?: boolean;
  /** Readings per page, at most (default 5,000). */
  pageSize?: number;
}

/** What the HR logs show of a reading: who, when, where, how warm, from what, entered by whom. */
export type LogReadingRecord = Pick<
  ReadingRecord,
  'id' | 'siteId' | 'gateId' | 'seq' | 'at' | 'employeeNo' | 'source' | 'enteredBy' | 'decision'
> & {
  temperatureTenths: number;
  /** Whether the person wore a mask (the log export's 口罩 column); absent from older stores' answers. */
  mask?: ReadingRecord['mask'];
};

export type LogScanQuery = Omit<ScanQuery, 'measuredOnly'>;

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
  /**
   * Every matching reading of a period in pages of at most pageSize, in readingsByPerson's order
   * across pages (time, site, gate, seq). Memory stays bounded by a page (SQLite: keyset paging)
   * or by a slice of the period (InfluxDB: whole days up to SCAN_SLICE_ROWS); where the pages
   * break may differ between backends, their concatenation may not.
   */
  scanReadings(q: ScanQuery): AsyncIterable<ReadingRecord[]>;
  /**
   * scanReadings for the HR logs: only readings that count (a temperature, a known person) and
   * only their LogReadingRecord fields, the same order and paging. On InfluxDB a day of a large
   * site costs about half of the full records.
   */
  scanLogReadings(q: LogScanQuery): AsyncIterable<LogReadingRecord[]>;
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
