/** The InfluxQL of the provisioned Grafana dashboards, as written and as Grafana would send it. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOY } from './paths.ts';

export const GRAFANA = join(DEPLOY, 'grafana');

interface Target {
  query: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  title: string;
  type: string;
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
}
export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; query: string; datasource: { uid: string } }> };
}

export const dashboardFiles = readdirSync(join(GRAFANA, 'dashboards')).filter((f) => f.endsWith('.json'));
export const dashboards: Dashboard[] = dashboardFiles.map(
  (f) => JSON.parse(readFileSync(join(GRAFANA, 'dashboards', f), 'utf8')) as Dashboard,
);

export interface PanelQuery {
  where: string;
  query: string;
  uid: string | undefined;
}

/** Every panel's and template variable's query. */
export function queries(d: Dashboard): PanelQuery[] {
  const flat = (ps: Panel[]): Panel[] => ps.flatMap((p) => [p, ...flat(p.panels ?? [])]);
  return [
    ...flat(d.panels).flatMap((p) =>
      (p.targets ?? []).map((t) => ({
        where: p.title,
        query: t.query,
        uid: (t.datasource ?? p.datasource)?.uid,
      })),
    ),
    ...d.templating.list.map((v) => ({
      where: `variable ${v.name}`,
      query: v.query,
      uid: v.datasource?.uid,
    })),
  ];
}

/** What Grafana sends for a query: its macros and variables expanded (all sites, all gates, last day). */
export function expand(query: string): string {
  return query
    .replaceAll('$timeFilter', 'time > now() - 1d')
    .replaceAll('$__interval', '1m')
    .replace(/\/\^\$(site|gate)\$\//g, '/^.*$/');
}
