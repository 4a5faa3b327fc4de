/**
 * HR's statuses follow the site policy and count only plausible checks, on both stores: an
 * offline upload of 20.0 °C and a re-measure never fill a morning or afternoon check; the
 * policy's threshold decides 'fever', its afternoonFrom cuts the day, and a day off by its
 * calendar expects nobody.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PersonDayLog, SiteDayLog } from '../../dashboard/reports/index.ts';
import { defaultSitePolicy, type SitePolicy } from '../../protocols/site/policy.ts';
import { type Influxd, startInfluxd } from '../harness/influxd.ts';
import {
  type Backend,
  DAY,
  type Env,
  gateReading,
  influxBackend,
  knownDay,
  reportsApp,
  sqliteBackend,
} from './fixture.ts';

let influxd: Influxd;
beforeAll(async () => {
  influxd = await startInfluxd();
});
afterAll(async () => {
  await influxd?.destroy();
});

const HR = { 'x-test-user': 'hr1:hr' };
const row = (log: SiteDayLog, no: string) => log.rows.find((r) => r.employeeNo === no) as PersonDayLog;

function policy(over: {
  rules?: Partial<SitePolicy['rules']>;
  calendar?: Partial<SitePolicy['calendar']>;
}): SitePolicy {
  const p = defaultSitePolicy();
  return {
    ...p,
    version: 4,
    rules: { ...p.rules, ...over.rules },
    calendar: { ...p.calendar, ...over.calendar },
  };
}

describe.each([
  ['sqlite', () => sqliteBackend()],
  ['influx', () => influxBackend(() => influxd)],
] as Array<[string, () => Backend]>)('HR statuses follow the site policy on %s', (_name, backend) => {
  let env: Env;
  beforeEach(async () => {
    env = await backend().fresh();
    await env.gate.write([
      ...knownDay(),
      // E005 had only a reading without temperature; now also a terminal's offline upload of 20.0 °C
      // in the morning (stored, never a check) ...
      gateReading('E005', `${DAY}T07:30:00`, {
        temperatureTenths: 200,
        decision: 'pass',
        reason: 'offline-record',
        realtime: false,
        source: 'terminal',
      }),
      // ... and E002 a re-measure with a plausible number in the afternoon (a sensor fault): no check.
      gateReading('E002', `${DAY}T14:00:00`, {
        temperatureTenths: 365,
        decision: 'remeasure',
        reason: 'sensor-fault',
      }),
      // E001: 12:30 is the afternoon by the default split, still the morning with afternoonFrom 13:00.
      gateReading('E001', `${DAY}T12:30:00`, { gateId: 'gate-1', temperatureTenths: 364 }),
    ]);
  });
  afterEach(async () => {
    await env.cleanup();
  });

  async function siteDay(p?: SitePolicy): Promise<SiteDayLog> {
    const t = await reportsApp(env, p ? { policy: () => p } : {});
    try {
      const res = await t.app.inject({ url: `/api/reports/site-day/${DAY}`, headers: HR });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as SiteDayLog;
    } finally {
      await t.close();
    }
  }

  it('a 20.0 °C offline upload never fills the morning check; a re-measure never fills the afternoon', async () => {
    const log = await siteDay();
    expect([row(log, 'E005').morning, row(log, 'E005').checks, row(log, 'E005').highestTenths]).toEqual([
      null,
      'absent',
      null,
    ]);
    expect([row(log, 'E002').afternoon, row(log, 'E002').checks]).toEqual([null, 'afternoon-missing']);
    // Both are still readings of the day (visible), just no checks.
    expect(row(log, 'E005').readings).toBe(1);
    expect(row(log, 'E002').readings).toBe(2);
    // The store's first-reading query means the same.
    const days = await env.store.firstReadingsByPersonDay({
      fromDay: DAY,
      toDay: DAY,
      employeeNos: ['E002', 'E005'],
    });
    expect(
      days.map((d) => [
        d.employeeNo,
        d.morning?.temperatureTenths ?? null,
        d.afternoon?.temperatureTenths ?? null,
      ]),
    ).toEqual([['E002', 364, null]]);
  });

  it("the policy's plausible range, threshold and afternoonFrom decide, not fixed numbers", async () => {
    const log = await siteDay(
      policy({
        rules: { plausibleMinTenths: 300, feverThresholdTenths: 385 },
        calendar: { afternoonFrom: '13:00' },
      }),
    );
    // A wider plausible range: 20.0 is still out (below 30.0).
    expect(row(log, 'E005').morning).toBeNull();
    // 38.2 is below a 38.5 threshold: no fever status.
    expect([row(log, 'E006').highestTenths, row(log, 'E006').status]).toEqual([382, 'afternoon-missing']);
    expect([log.thresholdTenths, log.policyVersion, log.split]).toEqual([385, 4, '13:00']);
    // 12:00:00 and 12:30 are the morning with afternoonFrom 13:00: E001 has no afternoon check.
    expect([row(log, 'E001').morning?.time, row(log, 'E001').afternoon, row(log, 'E001').checks]).toEqual([
      '11:59:59',
      null,
      'afternoon-missing',
    ]);
    const days = await env.store.firstReadingsByPersonDay({
      fromDay: DAY,
      toDay: DAY,
      employeeNos: ['E001'],
      split: '13:00',
      plausible: { minTenths: 300, maxTenths: 420 },
    });
    expect(
      days.map((d) => [d.morning?.temperatureTenths ?? null, d.afternoon?.temperatureTenths ?? null]),
    ).toEqual([[365, null]]);
    // With a plausible range down to 20.0, the offline upload would count: the range really is the policy's.
    const wide = await env.store.firstReadingsByPersonDay({
      fromDay: DAY,
      toDay: DAY,
      employeeNos: ['E005'],
      plausible: { minTenths: 200, maxTenths: 450 },
    });
    expect(wide.map((d) => d.morning?.temperatureTenths)).toEqual([200]);
  });

  it('a holiday of the calendar expects nobody: no missing checks that day', async () => {
    const log = await siteDay(policy({ calendar: { holidays: [DAY] } }));
    expect(log.workingDay).toBe(false);
    expect(log.rows.filter((r) => r.expected)).toEqual([]);
    // Whoever came is still listed with their checks.
    expect(row(log, 'E001').checks).toBe('complete');
    const t = await reportsApp(env, { policy: () => policy({ calendar: { holidays: [DAY] } }) });
    const { report } = (await t.app.inject({ url: `/api/reports/daily/${DAY}`, headers: HR })).json();
    await t.close();
    expect([report.expected, report.missingChecks, report.missing]).toEqual([0, 0, []]);
    // A make-up working day (调休) on a Sunday is a working day.
    const sunday = await siteDay(policy({ calendar: { extraWorkingDays: ['2024-03-03'] } }));
    expect(sunday.workingDay).toBe(true);
  });
});
