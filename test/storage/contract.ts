/**
 * The storage contract, one suite for every backend (in the style of MQTT.js' abstract_store):
 * readings go in through the edge-side ReadingSink and come out through the dashboard-side
 * ReadingStore, and both backends must give the same answers, to the field and the order.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReadingRecord } from '../../protocols/gate/messages.ts';
import type { ReadingSink } from '../../edge/storage/types.ts';
import type { ReadingStore, StoreTimeOptions } from '../../dashboard/store/types.ts';
import { GATE, record, SITE, shanghai } from './records.ts';

export interface ContractEnv {
  sink: ReadingSink;
  /** A reader on the same data; closed by cleanup(). */
  store(time?: StoreTimeOptions): ReadingStore;
  /**
   * The same data read through the backend's HR summary, where it keeps one (InfluxDB: the
   * reading_log projection, issue 22). Absent where HR reads the raw readings at every scale.
   */
  summaryStore?(time?: StoreTimeOptions): ReadingStore;
  /** Writes readings as a store of before the summary did (no summary), then the migration builds it. */
  legacy?: { write(rs: readonly ReadingRecord[]): Promise<void>; migrate(): Promise<void> };
  cleanup(): Promise<void>;
}

export interface ContractBackend {
  name: string;
  /** An empty store whose sink has been init()ed. */
  fresh(): Promise<ContractEnv>;
}

const DAY = '2024-03-05';
const ALL = { from: shanghai('2024-01-01T00:00:00'), to: shanghai('2025-01-01T00:00:00') };
const ids = (rs: readonly ReadingRecord[]) => rs.map((r) => r.id);

export function readingStoreContract(backend: ContractBackend): void {
  describe(`ReadingStore contract: ${backend.name}`, () => {
    let env: ContractEnv;
    let store: ReadingStore;
    beforeEach(async () => {
      env = await backend.fresh();
      store = env.store({ timeZone: 'Asia/Shanghai' });
    });
    afterEach(async () => {
      await env.cleanup();
    });

    it('round-trips every field exactly, nulls, booleans and awkward strings included', async () => {
      const awkward = [
        'E 1,=x',
        'trail\\',
        'back\\slash',
        "O\\'B",
        'tab\there',
        'line\nbreak',
        '~tilde',
        '中文工号',
        '"q"',
      ];
      const rs = [
        record(1, {
          temperatureTenths: null,
          rawTenths: null,
          ambientTenths: null,
          sensorSeq: null,
          pairingDelayMs: null,
          terminalId: null,
          terminalSerialNo: null,
          decision: 'unpaired',
          reason: 'no-face-event',
          mask: 'unknown',
          realtime: false,
          released: false,
          employeeNo: '',
        }),
        record(2, {
          source: 'handheld',
          sensor: 'manual',
          decision: 'manual',
          reason: 'manual-entry',
          enteredBy: `O\\'Brien "the nurse"\nward 3`,
          terminalId: 'T,1 =x\\',
          offsetTenths: -100,
          temperatureTenths: -1000,
          rawTenths: 2000,
          pairingDelayMs: -5,
          mask: 'no',
        }),
        ...awkward.map((employeeNo, i) =>
          record(10 + i, { employeeNo, at: shanghai(`2024-03-05T09:00:0${i}`) }),
        ),
      ];
      await env.sink.write(rs);
      const back = await store.readingsByGate({ gateId: GATE, ...ALL });
      expect(back).toEqual(rs);
      for (const r of rs.slice(2)) {
        expect(await store.readingsByPerson({ employeeNo: r.employeeNo, ...ALL })).toEqual([r]);
      }
    });

    it('orders by time, then seq, whatever the write order', async () => {
      const t = shanghai('2024-03-05T08:00:00');
      const rs = [
        record(5, { at: t + 10 }),
        record(3, { at: t }),
        record(4, { at: t }),
        record(1, { at: t - 1 }),
      ];
      await env.sink.write(rs);
      const want = ['site-a:gate-1:1', 'site-a:gate-1:3', 'site-a:gate-1:4', 'site-a:gate-1:5'];
      expect(ids(await store.readingsByGate({ gateId: GATE, ...ALL }))).toEqual(want);
      expect(ids(await store.readingsByPerson({ employeeNo: 'E0001', ...ALL }))).toEqual(want);
      expect(ids(await store.readingsByPerson({ employeeNo: 'E0001', ...ALL, limit: 2 }))).toEqual(
        want.slice(0, 2),
      );
    });

    it('a period is [from, to): from included, to excluded', async () => {
      const from = shanghai('2024-03-05T08:00:00');
      const to = shanghai('2024-03-05T09:00:00');
      await env.sink.write([
        record(1, { at: from - 1 }),
        record(2, { at: from }),
        record(3, { at: to - 1 }),
        record(4, { at: to }),
      ]);
      expect(ids(await store.readingsByPerson({ employeeNo: 'E0001', from, to }))).toEqual([
        'site-a:gate-1:2',
        'site-a:gate-1:3',
      ]);
      expect(ids(await store.readingsByGate({ gateId: GATE, from, to }))).toEqual([
        'site-a:gate-1:2',
        'site-a:gate-1:3',
      ]);
      const counts = await store.decisionCounts({ from, to });
      expect(counts).toEqual([{ siteId: SITE, gateId: GATE, decision: 'pass', count: 2 }]);
    });

    it('filters by person, gate and site', async () => {
      await env.sink.write([
        record(1, { employeeNo: 'E1' }),
        record(2, { employeeNo: 'E2' }),
        record(1, { employeeNo: 'E1', gateId: 'gate-2' }),
        record(1, { employeeNo: 'E1', siteId: 'site-b' }),
      ]);
      expect(ids(await store.readingsByPerson({ employeeNo: 'E1', ...ALL }))).toEqual([
        'site-a:gate-1:1',
        'site-a:gate-2:1',
        'site-b:gate-1:1',
      ]);
      expect(ids(await store.readingsByPerson({ employeeNo: 'E1', siteId: SITE, ...ALL }))).toEqual([
        'site-a:gate-1:1',
        'site-a:gate-2:1',
      ]);
      expect(ids(await store.readingsByGate({ gateId: 'gate-2', ...ALL }))).toEqual(['site-a:gate-2:1']);
      expect(ids(await store.readingsByGate({ gateId: GATE, siteId: 'site-b', ...ALL }))).toEqual([
        'site-b:gate-1:1',
      ]);
      expect(await store.readingsByPerson({ employeeNo: 'E404', ...ALL })).toEqual([]);
    });

    describe('first morning and afternoon reading per person-day', () => {
      it('11:59:59.999 local is morning, 12:00:00.000 local is afternoon', async () => {
        const m = record(1, { at: shanghai(`${DAY}T11:59:59.999`) });
        const a = record(2, { at: shanghai(`${DAY}T12:00:00.000`) });
        await env.sink.write([m, a]);
        expect(await store.firstReadingsByPersonDay({ fromDay: DAY, toDay: DAY })).toEqual([
          { employeeNo: 'E0001', day: DAY, morning: m, afternoon: a },
        ]);
      });

      it('00:30 local belongs to that local day although it is the previous day in UTC', async () => {
        const early = record(1, { at: shanghai(`${DAY}T00:30:00`) });
        expect(new Date(early.at).toISOString().slice(0, 10)).toBe('2024-03-04');
        const late = record(2, { at: shanghai('2024-03-04T23:59:59.999') });
        await env.sink.write([early, late]);
        expect(await store.firstReadingsByPersonDay({ fromDay: '2024-03-04', toDay: DAY })).toEqual([
          { employeeNo: 'E0001', day: '2024-03-04', morning: null, afternoon: late },
          { employeeNo: 'E0001', day: DAY, morning: early, afternoon: null },
        ]);
        expect(await store.firstReadingsByPersonDay({ fromDay: DAY, toDay: DAY })).toEqual([
          { employeeNo: 'E0001', day: DAY, morning: early, afternoon: null },
        ]);
      });

      it('the earliest reading with a temperature wins; no-temperature readings and unknown faces never count', async () => {
        const first = record(3, { at: shanghai(`${DAY}T08:00:00`) });
        await env.sink.write([
          record(4, { at: shanghai(`${DAY}T08:05:00`), temperatureTenths: 371 }),
          first,
          record(2, {
            at: shanghai(`${DAY}T07:55:00`),
            temperatureTenths: null,
            decision: 'remeasure',
            reason: 'no-measurement',
          }),
          record(1, {
            at: shanghai(`${DAY}T07:00:00`),
            employeeNo: '',
            decision: 'denied',
            reason: 'unknown-face',
          }),
          record(5, { at: shanghai(`${DAY}T13:00:00`), employeeNo: 'E0002' }),
        ]);
        const got = await store.firstReadingsByPersonDay({ fromDay: DAY, toDay: DAY });
        expect(got).toEqual([
          { employeeNo: 'E0001', day: DAY, morning: first, afternoon: null },
          { employeeNo: 'E0002', day: DAY, morning: null, afternoon: expect.objectContaining({ seq: 5 }) },
        ]);
      });

      it('only checks count: an implausible temperature (a 20.0 °C offline upload) and any re-measure never do', async () => {
        const check = record(4, { at: shanghai(`${DAY}T08:00:00`), temperatureTenths: 366 });
        const afternoon = record(7, { at: shanghai(`${DAY}T15:00:00`), temperatureTenths: 340 });
        await env.sink.write([
          check,
          afternoon,
          // Earlier than the check, but no checks: cold offline upload, re-measure with a number, too hot.
          record(1, {
            at: shanghai(`${DAY}T07:00:00`),
            temperatureTenths: 200,
            realtime: false,
            reason: 'offline-record',
          }),
          record(2, {
            at: shanghai(`${DAY}T07:10:00`),
            temperatureTenths: 365,
            decision: 'remeasure',
            reason: 'sensor-fault',
          }),
          record(3, {
            at: shanghai(`${DAY}T07:20:00`),
            temperatureTenths: 421,
            decision: 'remeasure',
            reason: 'above-range',
          }),
          record(5, { at: shanghai(`${DAY}T12:00:00`), temperatureTenths: 339 }),
          record(6, {
            at: shanghai(`${DAY}T12:10:00`),
            temperatureTenths: 366,
            decision: 'remeasure',
            reason: 'no-measurement',
          }),
        ]);
        // The built-in policy's range is 34.0–42.0 inclusive: 34.0 at 15:00 is the first afternoon check.
        expect(await store.firstReadingsByPersonDay({ fromDay: DAY, toDay: DAY })).toEqual([
          { employeeNo: 'E0001', day: DAY, morning: check, afternoon: afternoon },
        ]);
        // The policy's range, when given, is the one: down to 33.0 the 12:00 reading of 33.9 counts.
        const wide = await store.firstReadingsByPersonDay({
          fromDay: DAY,
          toDay: DAY,
          plausible: { minTenths: 330, maxTenths: 420 },
        });
        expect(wide.map((d) => [d.morning?.seq, d.afternoon?.seq])).toEqual([[4, 5]]);
        // A per-query split (the policy's afternoonFrom) moves 12:00 and 12:10 into the morning.
        const late = await store.firstReadingsByPersonDay({ fromDay: DAY, toDay: DAY, split: '12:30' });
        expect(late.map((d) => [d.morning?.seq, d.afternoon?.seq])).toEqual([[4, 7]]);
      });

      it('the split time is configurable', async () => {
        const a = record(1, { at: shanghai(`${DAY}T12:30:00`) });
        const b = record(2, { at: shanghai(`${DAY}T13:30:00`) });
        await env.sink.write([a, b]);
        const late = env.store({ timeZone: 'Asia/Shanghai', split: '13:30' });
        expect(await late.firstReadingsByPersonDay({ fromDay: DAY, toDay: DAY })).toEqual([
          { employeeNo: 'E0001', day: DAY, morning: a, afternoon: b },
        ]);
      });

      it('cuts days right across DST changes (Europe/Berlin)', async () => {
        const berlin = env.store({ timeZone: 'Europe/Berlin' });
        // 2024-03-31 has 23 hours (02:00 CET → 03:00 CEST), 2024-10-27 has 25.
        const rs = [
          record(1, { at: Date.parse('2024-03-30T23:30:00Z') }), // 00:30 CET on 03-31: morning of 03-31
          record(2, { at: Date.parse('2024-03-31T21:30:00Z') }), // 23:30 CEST on 03-31: afternoon
          record(3, { at: Date.parse('2024-03-31T22:00:00Z') }), // 00:00 CEST on 04-01: morning of 04-01
          record(4, { at: Date.parse('2024-10-27T00:30:00Z') }), // 02:30 CEST (first of two) on 10-27
          record(5, { at: Date.parse('2024-10-27T22:59:59.999Z') }), // 23:59:59.999 CET on 10-27
          record(6, { at: Date.parse('2024-10-27T11:00:00Z') }), // 12:00 CET: afternoon
        ];
        await env.sink.write(rs);
        const got = await berlin.firstReadingsByPersonDay({ fromDay: '2024-03-31', toDay: '2024-10-27' });
        expect(got.map((d) => [d.day, d.morning?.seq ?? null, d.afternoon?.seq ?? null])).toEqual([
          ['2024-03-31', 1, 2],
          ['2024-04-01', 3, null],
          ['2024-10-27', 4, 6],
        ]);
      });

      it('filters by people and site, and spans several days', async () => {
        await env.sink.write([
          record(1, { employeeNo: 'E1', at: shanghai('2024-03-04T08:00:00') }),
          record(2, { employeeNo: 'E1', at: shanghai('2024-03-06T08:00:00') }),
          record(3, { employeeNo: 'E2', at: shanghai('2024-03-05T08:00:00') }),
          record(4, { employeeNo: 'E3', at: shanghai('2024-03-05T08:00:00') }),
          record(1, { employeeNo: 'E2', at: shanghai('2024-03-05T14:00:00'), siteId: 'site-b' }),
        ]);
        const some = await store.firstReadingsByPersonDay({
          fromDay: '2024-03-04',
          toDay: '2024-03-06',
          employeeNos: ['E1', 'E2'],
        });
        expect(
          some.map((d) => [d.employeeNo, d.day, d.morning?.id ?? null, d.afternoon?.id ?? null]),
        ).toEqual([
          ['E1', '2024-03-04', 'site-a:gate-1:1', null],
          ['E1', '2024-03-06', 'site-a:gate-1:2', null],
          ['E2', '2024-03-05', 'site-a:gate-1:3', 'site-b:gate-1:1'],
        ]);
        const siteB = await store.firstReadingsByPersonDay({
          fromDay: '2024-03-04',
          toDay: '2024-03-06',
          siteId: 'site-b',
        });
        expect(siteB.map((d) => [d.employeeNo, d.day])).toEqual([['E2', '2024-03-05']]);
        expect(await store.firstReadingsByPersonDay({ fromDay: DAY, toDay: DAY, employeeNos: [] })).toEqual(
          [],
        );
      });
    });

    describe('scanReadings: every reading of a period, page by page', () => {
      const scan = async (q: Parameters<ReadingStore['scanReadings']>[0]) => {
        const pages: ReadingRecord[][] = [];
        for await (const page of store.scanReadings(q)) pages.push(page);
        return pages;
      };

      it('pages concatenate to the time order, none skipped or doubled within one millisecond', async () => {
        const t = shanghai(`${DAY}T08:00:00`);
        // Ten readings in one millisecond from two gates and two sites, then a few later ones:
        // page breaks fall inside the millisecond, where only site, gate and seq tell them apart.
        const rs = [
          ...Array.from({ length: 4 }, (_, i) => record(10 + i, { at: t })),
          ...Array.from({ length: 3 }, (_, i) => record(20 + i, { at: t, gateId: 'gate-0' })),
          ...Array.from({ length: 3 }, (_, i) => record(30 + i, { at: t, siteId: 'site-0' })),
          record(1, { at: t + 1, employeeNo: 'E2' }),
          record(2, { at: shanghai('2024-03-07T23:59:59.999'), employeeNo: 'E3' }),
        ];
        await env.sink.write([...rs].reverse());
        const want = [...rs].sort(
          (a, b) =>
            a.at - b.at ||
            (a.siteId < b.siteId ? -1 : a.siteId > b.siteId ? 1 : 0) ||
            (a.gateId < b.gateId ? -1 : a.gateId > b.gateId ? 1 : 0) ||
            a.seq - b.seq,
        );
        for (const pageSize of [1, 3, 4, 100]) {
          const pages = await scan({ ...ALL, pageSize });
          expect(pages.every((p) => p.length > 0 && p.length <= pageSize)).toBe(true);
          expect(pages.flat()).toEqual(want);
        }
        expect((await scan(ALL)).flat()).toEqual(want);
      });

      it('a period is [from, to) and filters by site, people and measured readings', async () => {
        const from = shanghai(`${DAY}T00:00:00`);
        const to = shanghai('2024-03-06T00:00:00');
        await env.sink.write([
          record(1, { at: from - 1 }),
          record(2, { at: from }),
          record(3, { at: from + 1, employeeNo: 'E2', siteId: 'site-b' }),
          record(4, { at: from + 2, employeeNo: '', decision: 'denied', reason: 'unknown-face' }),
          record(5, {
            at: from + 3,
            temperatureTenths: null,
            decision: 'remeasure',
            reason: 'no-measurement',
          }),
          record(6, { at: to - 1, employeeNo: 'E3' }),
          record(7, { at: to }),
        ]);
        const seqs = async (q: Omit<Parameters<ReadingStore['scanReadings']>[0], 'from' | 'to'>) =>
          (await scan({ from, to, ...q })).flat().map((r) => r.seq);
        expect(await seqs({})).toEqual([2, 3, 4, 5, 6]);
        expect(await seqs({ siteId: SITE })).toEqual([2, 4, 5, 6]);
        expect(await seqs({ employeeNos: ['E0001', 'E3'] })).toEqual([2, 5, 6]);
        expect(await seqs({ employeeNos: [] })).toEqual([]);
        expect(await seqs({ measuredOnly: true })).toEqual([2, 3, 6]);
        expect(await seqs({ measuredOnly: true, siteId: SITE, employeeNos: ['E3'] })).toEqual([6]);
      });

      it('scanLogReadings: the measured readings of scanReadings, with the log fields only', async () => {
        const t = shanghai(`${DAY}T08:00:00`);
        await env.sink.write([
          record(1, { at: t, employeeNo: '中文工号', source: 'terminal' }),
          record(2, {
            at: t,
            gateId: 'gate-0',
            source: 'handheld',
            sensor: 'manual',
            enteredBy: 'O\'Brien "n"',
          }),
          record(3, { at: t + 1, employeeNo: '', decision: 'denied', reason: 'unknown-face' }),
          record(4, { at: t + 2, temperatureTenths: null, decision: 'remeasure', reason: 'no-measurement' }),
          record(5, { at: t + 3, employeeNo: 'E2', siteId: 'site-b' }),
        ]);
        const pick = (r: ReadingRecord) => ({
          id: r.id,
          siteId: r.siteId,
          gateId: r.gateId,
          seq: r.seq,
          at: r.at,
          employeeNo: r.employeeNo,
          temperatureTenths: r.temperatureTenths,
          source: r.source,
          enteredBy: r.enteredBy,
          decision: r.decision,
          // The log export's mask column (issue #18).
          mask: r.mask,
        });
        for (const q of [
          { ...ALL },
          { ...ALL, siteId: SITE, pageSize: 1 },
          { ...ALL, employeeNos: ['中文工号', 'E2'] },
        ]) {
          const logs = [];
          for await (const page of store.scanLogReadings(q)) logs.push(...page);
          expect(logs).toEqual((await scan({ ...q, measuredOnly: true })).flat().map(pick));
        }
        const all = [];
        for await (const page of store.scanLogReadings(ALL)) all.push(...page);
        expect(all.map((r) => r.seq)).toEqual([2, 1, 5]);
      });

      describe('HR summary: the same answers as the raw readings (issue 22)', () => {
        const t = shanghai(`${DAY}T08:00:00`);
        // One table for every backend: what a site's logs meet in a day.
        const table: ReadingRecord[] = [
          record(1, { at: t, employeeNo: 'E1' }),
          // Same millisecond, other gate and other site: only site, gate, seq order them.
          record(2, { at: t, employeeNo: 'E1', gateId: 'gate-0' }),
          record(3, { at: t, employeeNo: 'E1', siteId: 'site-0' }),
          record(4, { at: t + 1, employeeNo: 'E2', temperatureTenths: 200, decision: 'pass' }), // implausible
          record(5, { at: t + 2, employeeNo: 'E2', temperatureTenths: 372, decision: 'remeasure' }),
          record(6, { at: t + 3, employeeNo: 'E2', temperatureTenths: null, decision: 'remeasure' }),
          record(7, { at: t + 4, employeeNo: '', decision: 'denied', reason: 'unknown-face' }),
          record(8, {
            at: t + 5,
            employeeNo: 'line\nbreak',
            source: 'handheld',
            sensor: 'manual',
            decision: 'manual',
            reason: 'manual-entry',
            enteredBy: 'O\'Brien "n"\nward 3',
            mask: 'no',
          }),
          record(9, { at: t + 6, employeeNo: '~tilde', temperatureTenths: 385, decision: 'flagged' }),
          record(10, { at: t + 7, employeeNo: 'E 1,=x', source: 'terminal' }),
          record(11, { at: shanghai(`${DAY}T00:00:00`), employeeNo: '中文工号' }),
          record(12, { at: shanghai(`${DAY}T23:59:59.999`), employeeNo: '中文工号' }),
          record(13, { at: shanghai('2024-03-06T00:00:00'), employeeNo: '中文工号' }),
          record(14, { at: shanghai(`${DAY}T13:00:00`), employeeNo: 'E1', temperatureTenths: 366 }),
        ];
        const day = { from: shanghai(`${DAY}T00:00:00`), to: shanghai('2024-03-06T00:00:00') };
        const queries = [
          { ...ALL },
          { ...day, siteId: SITE },
          { ...day, siteId: SITE, pageSize: 2 },
          { ...ALL, employeeNos: ['中文工号', 'line\nbreak', 'E9'] },
          { ...day, siteId: 'site-0' },
        ];
        const logs = async (s: ReadingStore, q: (typeof queries)[number]) => {
          const out = [];
          for await (const page of s.scanLogReadings(q)) out.push(...page);
          return out;
        };
        const raw = async (q: (typeof queries)[number]) => {
          const out: ReadingRecord[] = [];
          for await (const page of store.scanReadings({ ...q, measuredOnly: true })) out.push(...page);
          return out.map((r) => ({
            id: r.id,
            siteId: r.siteId,
            gateId: r.gateId,
            seq: r.seq,
            at: r.at,
            employeeNo: r.employeeNo,
            temperatureTenths: r.temperatureTenths,
            source: r.source,
            enteredBy: r.enteredBy,
            decision: r.decision,
            mask: r.mask,
          }));
        };

        it('the summary answers every query of the table exactly as the raw readings do, replays included', async () => {
          await env.sink.write(table);
          await env.sink.write(table.slice(0, 5)); // a replay of a batch changes nothing
          const summary = env.summaryStore?.({ timeZone: 'Asia/Shanghai' }) ?? store;
          for (const q of queries) expect(await logs(summary, q)).toEqual(await raw(q));
          // From intent: measured readings of known people only (not 6, no temperature; not 7, unknown).
          expect((await logs(summary, { ...day, siteId: SITE })).map((r) => r.seq)).toEqual([
            11, 2, 1, 4, 5, 8, 9, 10, 14, 12,
          ]);
          expect((await logs(summary, { ...day, siteId: 'site-0' })).map((r) => r.seq)).toEqual([3]);
        });

        it('a store written before the summary: the migration builds it equal to the raw readings', async () => {
          if (!env.legacy || !env.summaryStore) return; // nothing to migrate where there is no summary
          await env.legacy.write(table);
          const summary = env.summaryStore({ timeZone: 'Asia/Shanghai' });
          // Before the migration the summary knows nothing of them: why it is opt-in until then.
          expect(await logs(summary, { ...ALL })).toEqual([]);
          await env.legacy.migrate();
          await env.legacy.migrate(); // idempotent
          for (const q of queries) expect(await logs(summary, q)).toEqual(await raw(q));
        });
      });

      it('spans many days in one scan and answers empty when nothing matches', async () => {
        const rs = Array.from({ length: 40 }, (_, d) =>
          record(d, { at: shanghai('2024-02-01T07:30:00') + d * 86_400_000 + d }),
        );
        await env.sink.write(rs);
        expect((await scan({ ...ALL, pageSize: 7 })).flat()).toEqual(rs);
        expect(
          await scan({ from: shanghai('2024-06-01T00:00:00'), to: shanghai('2024-07-01T00:00:00') }),
        ).toEqual([]);
        await expect(scan({ ...ALL, pageSize: 0 })).rejects.toThrow(/TG_STORE_QUERY/);
        await expect(scan({ from: 2, to: 1 })).rejects.toThrow(/TG_STORE_QUERY/);
      });
    });

    it('counts readings by site, gate and decision', async () => {
      await env.sink.write([
        record(1),
        record(2),
        record(3, { decision: 'flagged', reason: 'fever', temperatureTenths: 380 }),
        record(4, { decision: 'denied', reason: 'mask-missing', mask: 'no' }),
        record(1, { gateId: 'gate-2' }),
        record(2, { gateId: 'gate-2', decision: 'remeasure', reason: 'above-range' }),
      ]);
      expect(await store.decisionCounts(ALL)).toEqual([
        { siteId: SITE, gateId: GATE, decision: 'denied', count: 1 },
        { siteId: SITE, gateId: GATE, decision: 'flagged', count: 1 },
        { siteId: SITE, gateId: GATE, decision: 'pass', count: 2 },
        { siteId: SITE, gateId: 'gate-2', decision: 'pass', count: 1 },
        { siteId: SITE, gateId: 'gate-2', decision: 'remeasure', count: 1 },
      ]);
      expect(await store.decisionCounts({ ...ALL, gateId: 'gate-2' })).toEqual([
        { siteId: SITE, gateId: 'gate-2', decision: 'pass', count: 1 },
        { siteId: SITE, gateId: 'gate-2', decision: 'remeasure', count: 1 },
      ]);
    });

    it('a replayed write is idempotent: the same readings twice are stored once', async () => {
      const rs = Array.from({ length: 50 }, (_, i) =>
        record(i, { employeeNo: `E${i % 7}`, at: shanghai('2024-03-05T07:00:00') + i * 60_000 }),
      );
      await env.sink.write(rs);
      const before = {
        gate: await store.readingsByGate({ gateId: GATE, ...ALL }),
        days: await store.firstReadingsByPersonDay({ fromDay: DAY, toDay: DAY }),
        counts: await store.decisionCounts(ALL),
      };
      await env.sink.write(rs);
      await env.sink.write(rs.slice(10, 30));
      await env.sink.write([...rs].reverse());
      expect(await store.readingsByGate({ gateId: GATE, ...ALL })).toEqual(before.gate);
      expect(before.gate).toHaveLength(50);
      expect(await store.firstReadingsByPersonDay({ fromDay: DAY, toDay: DAY })).toEqual(before.days);
      expect(await store.decisionCounts(ALL)).toEqual([
        { siteId: SITE, gateId: GATE, decision: 'pass', count: 50 },
      ]);
    });

    it('returns large answers whole (more rows than one server chunk)', async () => {
      const people = 6000;
      const rs = [];
      for (let i = 0; i < people; i++) {
        rs.push(record(2 * i, { employeeNo: `P${i}`, at: shanghai(`${DAY}T08:00:00`) + i }));
        rs.push(record(2 * i + 1, { employeeNo: `P${i}`, at: shanghai(`${DAY}T13:00:00`) + i }));
      }
      for (let i = 0; i < rs.length; i += 2000) await env.sink.write(rs.slice(i, i + 2000));
      const all = await store.readingsByGate({ gateId: GATE, ...ALL });
      expect(all.length).toBe(2 * people);
      expect(all[0]).toEqual(rs[0]);
      expect(all[all.length - 1]).toEqual(rs[rs.length - 1]);
      const days = await store.firstReadingsByPersonDay({ fromDay: DAY, toDay: DAY });
      expect(days.length).toBe(people);
      expect(days.every((d) => d.morning !== null && d.afternoon !== null)).toBe(true);
      expect(days.find((d) => d.employeeNo === 'P4321')?.afternoon).toEqual(rs[2 * 4321 + 1]);
    });

    it('answers empty, not with an error, when nothing matches', async () => {
      expect(await store.readingsByPerson({ employeeNo: 'E0001', ...ALL })).toEqual([]);
      expect(await store.readingsByGate({ gateId: GATE, ...ALL })).toEqual([]);
      expect(await store.firstReadingsByPersonDay({ fromDay: DAY, toDay: DAY })).toEqual([]);
      expect(await store.decisionCounts(ALL)).toEqual([]);
      await env.sink.write([record(1)]);
      const later = { from: shanghai('2024-06-01T00:00:00'), to: shanghai('2024-07-01T00:00:00') };
      expect(await store.readingsByGate({ gateId: GATE, ...later })).toEqual([]);
      expect(await store.firstReadingsByPersonDay({ fromDay: '2024-06-01', toDay: '2024-06-30' })).toEqual(
        [],
      );
      expect(await store.decisionCounts(later)).toEqual([]);
    });

    it('refuses bad query arguments with TG_STORE_QUERY', async () => {
      await expect(store.firstReadingsByPersonDay({ fromDay: '2024-02-30', toDay: DAY })).rejects.toThrow(
        /TG_STORE_QUERY/,
      );
      await expect(store.firstReadingsByPersonDay({ fromDay: DAY, toDay: '2024-03-01' })).rejects.toThrow(
        /TG_STORE_QUERY/,
      );
      await expect(store.readingsByGate({ gateId: GATE, from: 2, to: 1 })).rejects.toThrow(/TG_STORE_QUERY/);
    });
  });
}
