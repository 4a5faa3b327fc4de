/**
 * The twice-daily log as the pages show it, read from the reports API. Pure, unit-tested.
 */

export interface LogEntry {
  at: number;
  temperatureTenths: number | null;
  gateId: string | null;
  source: string;
  enteredBy: string | null;
}

export interface LogDay {
  day: string;
  employeeNo: string;
  name: string;
  department: string;
  morning: LogEntry | null;
  afternoon: LogEntry | null;
  highestTenths: number | null;
  status: string;
  /**
   * Expected that day (an employee on a working day). Missing checks are only theirs: a visitor
   * or somebody measured on a day off is "screened", never "morning missing" (issue #18).
   */
  expected: boolean;
  /** The absence HR recorded for the day (leave, …), if any. */
  absence: string | null;
}

type Raw = Record<string, unknown>;

function entry(v: unknown): LogEntry | null {
  if (!v || typeof v !== 'object') return null;
  const r = v as Raw;
  if (typeof r.at !== 'number') return null;
  return {
    at: r.at,
    temperatureTenths: typeof r.temperatureTenths === 'number' ? r.temperatureTenths : null,
    gateId: typeof r.gateId === 'string' && r.gateId ? r.gateId : null,
    source: String(r.source ?? ''),
    enteredBy: typeof r.enteredBy === 'string' ? r.enteredBy : null,
  };
}

export function asLogDay(
  v: unknown,
  fallback: { employeeNo?: string; name?: string; department?: string } = {},
): LogDay {
  const r = v as Raw;
  const morning = entry(r.morning);
  const afternoon = entry(r.afternoon);
  const temps = [morning?.temperatureTenths, afternoon?.temperatureTenths].filter(
    (x): x is number => typeof x === 'number',
  );
  const highest =
    typeof r.highestTenths === 'number'
      ? r.highestTenths
      : typeof (r.highest as Raw | undefined)?.temperatureTenths === 'number'
        ? ((r.highest as Raw).temperatureTenths as number)
        : temps.length
          ? Math.max(...temps)
          : null;
  return {
    day: String(r.day ?? r.date ?? ''),
    employeeNo: String(r.employeeNo ?? fallback.employeeNo ?? ''),
    name: String(r.name ?? fallback.name ?? ''),
    department: String(r.department ?? fallback.department ?? ''),
    morning,
    afternoon,
    highestTenths: highest,
    status: String(
      r.status ??
        (morning && afternoon
          ? 'complete'
          : !morning && !afternoon
            ? 'absent'
            : morning
              ? 'afternoon-missing'
              : 'morning-missing'),
    ),
    expected: r.expected !== false,
    absence:
      r.absence && typeof (r.absence as Raw).reason === 'string'
        ? ((r.absence as Raw).reason as string)
        : null,
  };
}

export interface PersonLog {
  employeeNo: string;
  name: string;
  department: string;
  days: LogDay[];
  /** The site policy's fever threshold the statuses were made with (null: the server did not say). */
  thresholdTenths: number | null;
  /** Every reading of the period for the chart (falls back to the log's entries). */
  points: { at: number; tenths: number }[];
}

export function asPersonLog(body: unknown, employeeNo: string): PersonLog {
  const b = (body ?? {}) as Raw;
  const person = (b.person ?? b.employee ?? {}) as Raw;
  const meta = {
    employeeNo: String(b.employeeNo ?? person.employeeNo ?? employeeNo),
    name: String(b.name ?? person.name ?? ''),
    department: String(b.department ?? person.department ?? ''),
  };
  const rawDays = (Array.isArray(body) ? body : (b.days ?? b.rows ?? [])) as unknown[];
  const days = rawDays.map((d) => asLogDay(d, meta));
  const readings = Array.isArray(b.readings) ? (b.readings as unknown[]).map(entry) : null;
  const source = readings ?? days.flatMap((d) => [d.morning, d.afternoon]);
  const points = source
    .filter((e): e is LogEntry => e !== null && e.temperatureTenths !== null)
    .map((e) => ({ at: e.at, tenths: e.temperatureTenths as number }))
    .sort((a, c) => a.at - c.at);
  const thresholdTenths = typeof b.thresholdTenths === 'number' ? b.thresholdTenths : null;
  return { ...meta, name: meta.name || days.find((d) => d.name)?.name || '', days, points, thresholdTenths };
}
