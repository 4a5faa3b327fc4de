/**
 * The site's dashboard as its users see it: `/healthz`, and the alert list of a guard logged in on
 * its HTTP API. Which gate readings went into which alert is not on the API (a guard sees one alert
 * per person episode, with a count), so that part is read from its SQLite database, opened
 * read-only while the dashboard runs (WAL allows a reader next to the writer).
 */
import Database from 'better-sqlite3';
import type { AlertState } from '../../protocols/dashboard/messages.ts';

export interface DashboardHealth {
  ok: boolean;
  db: boolean;
  mqtt: boolean;
  readings: boolean;
}

/** undefined while the dashboard does not answer 200. */
export async function dashboardHealth(url: string): Promise<DashboardHealth | undefined> {
  const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
  if (r.status !== 200) return undefined;
  return (await r.json()) as DashboardHealth;
}

/** Every alert, cleared or not, as the guard's board lists them (the API's limit is 1000). */
export async function guardAlerts(
  url: string,
  guard: { username: string; password: string },
): Promise<AlertState[]> {
  const login = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(guard),
    signal: AbortSignal.timeout(10_000),
  });
  if (login.status !== 200) throw new Error(`guard login: ${login.status} ${await login.text()}`);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
  const r = await fetch(`${url}/api/alerts?state=all&limit=1000`, {
    headers: { cookie },
    signal: AbortSignal.timeout(10_000),
  });
  if (r.status !== 200) throw new Error(`GET /api/alerts: ${r.status} ${await r.text()}`);
  return (await r.json()) as AlertState[];
}

export interface StoredAlert {
  id: string;
  kind: string;
  gateId: string;
  dedupeKey: string;
  raisedAt: number;
  lastSeenAt: number;
  occurrences: number;
  /** When a guard closed it (null: still open). */
  clearedAt: number | null;
}

export interface DashboardRecord {
  alerts: StoredAlert[];
  /** Gate reading id → the dashboard alert it went into. */
  alertOfReading: Map<string, string>;
}

export function readDashboardDb(path: string): DashboardRecord {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const alerts = db
      .prepare(
        `SELECT id, kind, gate_id AS gateId, dedupe_key AS dedupeKey, raised_at AS raisedAt,
                last_seen_at AS lastSeenAt, occurrences, cleared_at AS clearedAt FROM alert`,
      )
      .all() as StoredAlert[];
    const sources = db
      .prepare("SELECT source, alert_id AS alertId FROM alert_source WHERE source LIKE 'reading:%'")
      .all() as Array<{ source: string; alertId: string }>;
    return {
      alerts,
      alertOfReading: new Map(sources.map((s) => [s.source.slice('reading:'.length), s.alertId])),
    };
  } finally {
    db.close();
  }
}
