/** Tiny InfluxDB 1.x HTTP helpers for the benchmarks: create a database, count points landed. */

export async function influxQuery(url: string, q: string, db?: string): Promise<unknown> {
  const params = new URLSearchParams({ q, epoch: 'ms' });
  if (db) params.set('db', db);
  const res = await fetch(`${url}/query`, {
    method: 'POST',
    body: params,
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`influx ${q}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

export async function createDatabase(url: string, db: string): Promise<void> {
  await influxQuery(url, `CREATE DATABASE "${db}"`);
}

/** Points of `measurement` with time >= sinceMs, counted on one of their always-present fields. */
export async function countPoints(
  url: string,
  db: string,
  field: string,
  sinceMs: number,
  measurement = 'reading',
): Promise<number> {
  const body = (await influxQuery(
    url,
    `SELECT count("${field}") FROM "${measurement}" WHERE time >= ${sinceMs}ms`,
    db,
  )) as { results?: { series?: { values?: [number, number][] }[] }[] };
  return body.results?.[0]?.series?.[0]?.values?.[0]?.[1] ?? 0;
}
