/**
 * The Grafana provisioning and the ThermoGate dashboard against the names the project writes
 * (protocols/storage/influx-schema.ts): a renamed field or tag breaks this test, not a site's
 * dashboard months later. Every query is read: its measurement, every quoted identifier (a tag, a
 * field or an alias it defines), the type of what each aggregate reads, and the tag values it
 * compares with (the enums of protocols/gate/messages.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { Decision, TemperatureSource } from '../../protocols/gate/messages.ts';
import {
  INFLUX_DEFAULT_DATABASE,
  INFLUX_FIELDS,
  INFLUX_MEASUREMENT,
  INFLUX_TAGS,
} from '../../protocols/storage/influx-schema.ts';
import { dashboardFiles, dashboards, GRAFANA, queries } from './grafana-queries.ts';
import { composeConfig, mounts } from './paths.ts';

const readYaml = (p: string) => parseYaml(readFileSync(p, 'utf8')) as Record<string, unknown>;

const datasources = readYaml(join(GRAFANA, 'provisioning/datasources/influxdb.yaml')).datasources as Array<{
  uid: string;
  type: string;
  url: string;
  user: string;
  jsonData: { dbName: string };
  secureJsonData: { password: string };
}>;
const TAGS = new Set<string>(INFLUX_TAGS);
const FIELDS = INFLUX_FIELDS as Record<string, string>;
const NUMERIC = new Set(['integer', 'float']);
const TAG_VALUES: Record<string, readonly string[]> = {
  decision: Decision.options,
  source: TemperatureSource.options,
};

/** Problems of one query against the schema; empty when it only uses names the project writes. */
function check(query: string): string[] {
  const problems: string[] = [];
  // Literals and regexes first, so their contents are not mistaken for names.
  const literals = [...query.matchAll(/"(\w+)"\s*(=~|!~|=|!=|<>)\s*(?:'([^']*)'|\/\^?\(?([^/]*?)\)?\$?\/)/g)];
  for (const [, name, , literal, regex] of literals) {
    const allowed = TAG_VALUES[name as string];
    if (!allowed) continue;
    const values = literal !== undefined ? [literal] : (regex ?? '').split('|');
    for (const v of values)
      if (!v.startsWith('$') && !allowed.includes(v))
        problems.push(`${name} = ${v}: not a value the gates write`);
  }
  const stripped = query.replace(/'[^']*'/g, "''").replace(/\/[^/]*\//g, '//');
  const aliases = new Set([...stripped.matchAll(/\bAS\s+"([^"]+)"/gi)].map((m) => m[1] as string));
  const froms = [...stripped.matchAll(/\bFROM\s+("([^"]+)"|\(|(\S+))/gi)];
  if (froms.length === 0) problems.push('no FROM');
  for (const f of froms) {
    if (f[1] === '(') continue; // a subquery: its own FROM is checked too
    if (f[2] !== INFLUX_MEASUREMENT)
      problems.push(`FROM ${f[1]}: the measurement is "${INFLUX_MEASUREMENT}"`);
  }
  if (/\bFROM\s+"[^"]+"\."/i.test(stripped))
    problems.push('names a retention policy: the default one is ours');
  for (const [, name] of stripped.matchAll(/"([^"]+)"/g)) {
    const n = name as string;
    if (n !== INFLUX_MEASUREMENT && !TAGS.has(n) && !(n in FIELDS) && !aliases.has(n))
      problems.push(`"${n}" is neither a tag nor a field of ${INFLUX_MEASUREMENT}`);
  }
  for (const [, fn, name] of stripped.matchAll(
    /\b(mean|max|min|sum|median|percentile|stddev)\(\s*"([^"]+)"/gi,
  )) {
    const type = FIELDS[name as string];
    if (type !== undefined && !NUMERIC.has(type))
      problems.push(`${fn}("${name}"): a ${type} field is not numeric`);
    if (TAGS.has(name as string)) problems.push(`${fn}("${name}"): a tag cannot be aggregated`);
  }
  for (const [, list] of stripped.matchAll(
    /\bGROUP BY\s+((?:time\([^)]*\)|[^()])+?)\s*(?:\bfill\(|\bORDER\b|\bLIMIT\b|\)|$)/gi,
  ))
    for (const [, name] of (list as string).matchAll(/"([^"]+)"/g))
      if (!TAGS.has(name as string)) problems.push(`GROUP BY "${name}": InfluxQL groups by tags only`);
  return problems;
}

describe('Grafana provisioning', () => {
  it('provisions one InfluxDB data source on the database the gates write, password from the environment', () => {
    expect(datasources).toHaveLength(1);
    const ds = datasources[0];
    expect(ds).toMatchObject({ type: 'influxdb', url: 'http://influxdb:8086', user: 'grafana' });
    expect(ds?.jsonData.dbName).toBe(INFLUX_DEFAULT_DATABASE);
    expect(ds?.secureJsonData.password).toMatch(/^\$\{?GF_\w+\}?$/);
    // ... and compose fills that variable from a secret file.
    const grafana = composeConfig().services.grafana;
    const variable = ds?.secureJsonData.password.replace(/[${}]/g, '');
    expect(grafana?.environment?.[`${variable}__FILE`]).toMatch(/^\/run\/secrets\//);
  });

  it('provisions the dashboards from the folder compose mounts', () => {
    const providers = readYaml(join(GRAFANA, 'provisioning/dashboards/thermogate.yaml')).providers as Array<{
      options: { path: string };
    }>;
    const grafana = composeConfig().services.grafana ?? {};
    const mount = mounts(grafana).find((m) => m.target === providers[0]?.options.path);
    expect(mount?.source).toBe(join(GRAFANA, 'dashboards'));
    expect(mounts(grafana).find((m) => m.target === '/etc/grafana/provisioning')?.source).toBe(
      join(GRAFANA, 'provisioning'),
    );
    expect(dashboardFiles).toContain('thermogate.json');
  });

  it('has the panels a site asks for: passages, flags, temperatures per gate, gates reporting', () => {
    const d = dashboards.find((x) => x.uid === 'thermogate-site');
    const titles = d?.panels.map((p) => p.title).join(' | ') ?? '';
    for (const want of [
      /Passed per gate/,
      /Flagged per gate/,
      /Temperature per gate/,
      /Gates reporting/,
      /Flagged passages/,
    ])
      expect(titles).toMatch(want);
  });

  for (const d of dashboards)
    it(`${d.title}: every query uses only the measurement, tags and fields the gates write`, () => {
      const all = queries(d);
      expect(all.length).toBeGreaterThan(5);
      const problems = all.flatMap((q) => check(q.query).map((p) => `${q.where}: ${p}`));
      expect(problems).toEqual([]);
      for (const q of all) expect(q.uid, q.where).toBe(datasources[0]?.uid);
    });

  it('the checker itself catches a renamed field, a wrong measurement, a tag value nobody writes', () => {
    for (const bad of [
      'SELECT mean("temperature") FROM "reading" WHERE $timeFilter',
      'SELECT count("seq") FROM "readings"',
      'SELECT count("seq") FROM reading',
      `SELECT count("seq") FROM "reading" WHERE "decision" = 'passed'`,
      `SELECT count("seq") FROM "reading" WHERE "decision" =~ /^(pass|fever)$/`,
      'SELECT mean("reason") FROM "reading"',
      'SELECT count("seq") FROM "reading" GROUP BY "temperatureC"',
      'SELECT count("seq") FROM "reading" WHERE $timeFilter GROUP BY time($__interval), "reason" fill(0)',
    ])
      expect(check(bad), bad).not.toEqual([]);
    expect(
      check(
        `SELECT count("seq") FROM "reading" WHERE "decision" = 'pass' GROUP BY time(1m), "gateId" fill(0)`,
      ),
    ).toEqual([]);
  });
});
