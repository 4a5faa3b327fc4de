/**
 * The person sync on its own, against an in-memory terminal that answers UserInfo as the public
 * ISAPI does (protocols/hik-isapi/users.ts), on an injected clock: the mapping of access-list
 * entries to terminal persons (visitors' periods in the terminal's local time, never more generous
 * than the gate), the difference, batches, no wipe before a list is held, retries with backoff
 * only as the clock moves, and the alert after `alertAfterMs`, not before. The chain on real
 * sockets is test/edge/isapi-person-sync.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { AccessEntry } from '../../../protocols/gate/access-list.ts';
import {
  encodeResponseStatus,
  encodeUserInfoSearchPage,
  type IsapiUser,
  parseUserInfo,
  parseUserInfoDelete,
  parseUserInfoSearch,
  UserInfoPath,
} from '../../../protocols/hik-isapi/index.ts';
import { EdgeConfig } from '../../config/schema.ts';
import { FakeClock } from '../../../test/doubles/edge/fake-clock.ts';
import { createLogger } from '../../log.ts';
import { IsapiClientError, type Response } from './http-client.ts';
import { planPersonSync, terminalPerson } from './person-plan.ts';
import { PersonSync, type UserInfoClient } from './person-sync.ts';

const SH_0800 = Date.UTC(2026, 11, 6, 0, 0, 0);
const SH_1800 = Date.UTC(2026, 11, 6, 10, 0, 0);

const entry = (employeeNo: string, more: Partial<AccessEntry> = {}): AccessEntry => ({
  employeeNo,
  name: `name ${employeeNo}`,
  department: '',
  kind: 'employee',
  validFrom: null,
  validUntil: null,
  ...more,
});

describe('access-list entries as terminal persons', () => {
  it('an employee: normal, validity off', () => {
    expect(terminalPerson(entry('E1', { name: '张伟' }), 'Asia/Shanghai')).toEqual({
      employeeNo: 'E1',
      name: '张伟',
      userType: 'normal',
      valid: { enable: false, beginTime: '2000-01-01T00:00:00', endTime: '2037-12-31T23:59:59' },
    });
  });

  it('a visitor 08:00–18:00 Shanghai: visitor, 08:00:00 to 17:59:59 local', () => {
    const v = terminalPerson(
      entry('V1', { kind: 'visitor', validFrom: SH_0800, validUntil: SH_1800 }),
      'Asia/Shanghai',
    );
    expect(v.userType).toBe('visitor');
    expect(v.valid).toEqual({
      enable: true,
      beginTime: '2026-12-06T08:00:00',
      endTime: '2026-12-06T17:59:59',
    });
  });

  it('a period off the second: the terminal starts later and ends earlier, never the other way', () => {
    const v = terminalPerson(
      entry('V1', { kind: 'visitor', validFrom: SH_0800 + 300, validUntil: SH_1800 + 300 }),
      'Asia/Shanghai',
    );
    expect(v.valid).toMatchObject({ beginTime: '2026-12-06T08:00:01', endTime: '2026-12-06T18:00:00' });
  });

  it("the terminal's own zone when it is not the site's", () => {
    const v = terminalPerson(
      entry('V1', { kind: 'visitor', validFrom: SH_0800, validUntil: null }),
      'Europe/Berlin',
    );
    // 00:00 UTC in December is 01:00 in Berlin; an open end is the terminal's limit.
    expect(v.valid).toEqual({
      enable: true,
      beginTime: '2026-12-06T01:00:00',
      endTime: '2037-12-31T23:59:59',
    });
  });

  it('the difference: new ones recorded, changed ones modified, others deleted', () => {
    const z = 'Asia/Shanghai';
    const wanted = new Map(
      [entry('A'), entry('B', { name: 'new name' }), entry('C')].map((e) => [
        e.employeeNo,
        terminalPerson(e, z),
      ]),
    );
    const onTerminal = new Map(
      [entry('B'), entry('C'), entry('D')].map((e) => [e.employeeNo, terminalPerson(e, z)]),
    );
    const plan = planPersonSync(wanted, onTerminal);
    expect(plan.record.map((u) => u.employeeNo)).toEqual(['A']);
    expect(plan.modify.map((u) => u.employeeNo)).toEqual(['B']);
    expect(plan.remove).toEqual(['D']);
  });
});

/** A terminal in memory: the UserInfo calls, nothing else. */
class MemoryTerminal implements UserInfoClient {
  users = new Map<string, IsapiUser>();
  calls: string[] = [];
  down = false;
  /** A broken firmware: every Search answers the first page, with MORE. */
  ignorePosition = false;
  async request(method: string, path: string, opts: { body?: string }): Promise<Response> {
    this.calls.push(`${method} ${path.split('?')[0]?.split('/').at(-1)}`);
    if (this.down) throw new IsapiClientError('TG_ISAPI_UNREACHABLE', 'ECONNREFUSED');
    const body = opts.body ?? '';
    const ok = () =>
      answer(200, encodeResponseStatus({ statusCode: 1, statusString: 'OK', subStatusCode: 'ok' }));
    if (path === UserInfoPath.search) {
      const c = parseUserInfoSearch(body);
      if (!c.ok) throw c.error;
      const all = [...this.users.values()];
      const from = this.ignorePosition ? 0 : c.value.searchResultPosition;
      const page = all.slice(from, from + c.value.maxResults);
      const more = this.ignorePosition || c.value.searchResultPosition + page.length < all.length;
      return answer(
        200,
        encodeUserInfoSearchPage({
          searchID: c.value.searchID,
          status: page.length === 0 ? 'NO MATCH' : more ? 'MORE' : 'OK',
          numOfMatches: page.length,
          totalMatches: all.length,
          users: page,
        }),
      );
    }
    if (path === UserInfoPath.delete) {
      const d = parseUserInfoDelete(body);
      if (!d.ok) throw d.error;
      for (const no of d.value) this.users.delete(no);
      return ok();
    }
    const u = parseUserInfo(body);
    if (!u.ok) throw u.error;
    for (const x of u.value) this.users.set(x.employeeNo, x);
    return ok();
  }
  close(): void {}
}

const answer = (status: number, body: string): Response => ({ status, headers: {}, body: Buffer.from(body) });

function setup(o: { version?: number | null; entries?: AccessEntry[] } = {}) {
  const clock = new FakeClock(SH_0800);
  const terminal = new MemoryTerminal();
  let entries = o.entries ?? [entry('E1'), entry('E2')];
  let version: number | null = o.version === undefined ? 1 : o.version;
  const listeners = new Set<() => void>();
  const list = {
    get version() {
      return version;
    },
    values: () => entries.values(),
    onNewVersion: (fn: () => void) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
  const alerts: Array<{ active: boolean; detail: string; at: number }> = [];
  const cfg = EdgeConfig.parse({
    siteId: 's',
    gateId: 'g',
    mqtt: { url: 'mqtt://127.0.0.1:1883' },
    thermometer: { protocol: 'none' },
    terminal: {
      protocol: 'hik-isapi',
      deviceId: 'T1',
      address: 'http://10.0.0.21',
      temperatureSource: 'terminal',
      personSync: {
        enabled: true,
        batchSize: 2,
        pageSize: 2,
        retryMinMs: 1000,
        retryMaxMs: 8000,
        alertAfterMs: 60_000,
      },
    },
  });
  if (cfg.terminal.protocol !== 'hik-isapi') throw new Error('config');
  const sync = new PersonSync({
    cfg: cfg.terminal.personSync,
    timeZone: cfg.timezone,
    deviceId: 'T1',
    lang: 'zh-CN',
    client: terminal,
    list,
    clock,
    log: createLogger('test', 'silent'),
    alert: (active, detail) => alerts.push({ active, detail, at: clock.now() }),
    onStatus: () => {},
    // No jitter: the delays are the backoff's base.
    random: () => 0,
  });
  const hr = (next: AccessEntry[]) => {
    entries = next;
    version = (version ?? 0) + 1;
    for (const fn of listeners) fn();
  };
  return { clock, terminal, sync, alerts, hr };
}

describe('the person sync', () => {
  it("the default is off: a gate never manages the terminal's persons unless told to", () => {
    const cfg = EdgeConfig.parse({
      siteId: 's',
      gateId: 'g',
      mqtt: { url: 'mqtt://127.0.0.1:1883' },
      thermometer: { protocol: 'none' },
      terminal: {
        protocol: 'hik-isapi',
        deviceId: 'T1',
        address: 'http://10.0.0.21',
        temperatureSource: 'terminal',
      },
    });
    expect(cfg.terminal.protocol === 'hik-isapi' && cfg.terminal.personSync.enabled).toBe(false);
  });

  it('holding no access list yet, it changes nothing on the terminal (no wipe out of the box)', async () => {
    const t = setup({ version: null });
    t.terminal.users.set('K1', terminalPerson(entry('K1'), 'Asia/Shanghai'));
    t.sync.start();
    await t.sync.whenIdle();
    expect(t.sync.status().state).toBe('waiting');
    expect(t.terminal.calls).toEqual([]);
    expect(t.terminal.users.has('K1')).toBe(true);
    await t.sync.stop();
  });

  it('reads every page, deletes in batches first, then modifies and records', async () => {
    const t = setup({ entries: [entry('E1'), entry('E2', { name: 'renamed' })] });
    for (const no of ['E2', 'D1', 'D2', 'D3'])
      t.terminal.users.set(no, terminalPerson(entry(no), 'Asia/Shanghai'));
    t.sync.start();
    await t.sync.whenIdle();
    // 4 persons at 2 a page: two pages; three deletions at 2 a batch: two requests.
    expect(t.terminal.calls).toEqual([
      'POST Search',
      'POST Search',
      'PUT Delete',
      'PUT Delete',
      'PUT Modify',
      'POST Record',
    ]);
    expect([...t.terminal.users.keys()].sort()).toEqual(['E1', 'E2']);
    expect(t.terminal.users.get('E2')?.name).toBe('renamed');
    expect(t.sync.status()).toMatchObject({
      state: 'in-sync',
      pending: 0,
      listVersion: 1,
      lastSyncAt: SH_0800,
      terminalPersons: 2,
    });
    await t.sync.stop();
  });

  it('terminal away: retries only as the injected clock moves, with growing delays; alerts after alertAfterMs', async () => {
    const t = setup();
    t.terminal.down = true;
    t.sync.start();
    await t.sync.whenIdle();
    expect(t.sync.status()).toMatchObject({
      state: 'retrying',
      errorCode: 'TG_ISAPI_UNREACHABLE',
      pending: null,
    });
    const attempts = () => t.terminal.calls.length;
    expect(attempts()).toBe(1);
    // Backoff 1 s, 2 s, 4 s, 8 s, 8 s … (no jitter here).
    const expected: Array<[number, number]> = [
      [999, 1],
      [1, 2],
      [1999, 2],
      [1, 3],
      [4000, 4],
      [8000, 5],
      [8000, 6],
    ];
    for (const [ms, n] of expected) {
      t.clock.advance(ms);
      await t.sync.whenIdle();
      expect(attempts()).toBe(n);
    }
    expect(t.alerts).toEqual([]);
    // Out of line since SH_0800; 23 s have passed: the alert comes at 60 s, not before.
    t.clock.advance(60_000 - 23_000 - 1);
    await t.sync.whenIdle();
    expect(t.alerts).toEqual([]);
    t.clock.advance(1);
    expect(t.alerts).toMatchObject([{ active: true, at: SH_0800 + 60_000 }]);
    expect(t.alerts[0]?.detail).toContain('人脸终端 T1 人员名单未同步');
    // Back: the next retry syncs and clears it.
    t.terminal.down = false;
    t.clock.advance(8000);
    await t.sync.whenIdle();
    expect(t.sync.status()).toMatchObject({ state: 'in-sync', errorCode: null, outOfSyncSince: null });
    expect(t.alerts.at(-1)).toMatchObject({ active: false });
    await t.sync.stop();
  });

  it('a terminal that ignores the search position: the pass ends (no endless paging), nothing is deleted', async () => {
    const t = setup({ entries: [entry('E1')] });
    for (const no of ['K1', 'K2', 'K3']) t.terminal.users.set(no, terminalPerson(entry(no), 'Asia/Shanghai'));
    t.terminal.ignorePosition = true;
    t.sync.start();
    await t.sync.whenIdle();
    expect(t.terminal.calls).toEqual(['POST Search', 'POST Search']);
    expect(t.sync.status()).toMatchObject({ state: 'retrying', errorCode: 'TG_ISAPI_RESPONSE' });
    expect([...t.terminal.users.keys()]).toEqual(['K1', 'K2', 'K3']);
    await t.sync.stop();
  });

  it('a new list version starts a pass at once, without waiting for a retry', async () => {
    const t = setup();
    t.sync.start();
    await t.sync.whenIdle();
    t.hr([entry('E1')]);
    await t.sync.whenIdle();
    expect([...t.terminal.users.keys()]).toEqual(['E1']);
    expect(t.sync.status()).toMatchObject({ state: 'in-sync', listVersion: 2 });
    await t.sync.stop();
  });
});
