/**
 * The ISAPI terminal's person list kept in line with HR's access list (issue 19 stretch), on real
 * sockets: the edge with `personSync.enabled` against the simulated terminal, which keeps its own
 * person list, serves UserInfo Record / Modify / Delete / Search under Digest and matches faces only
 * against that list (`enforcePersonList`). HR's changes reach the gate as the hub sends them
 * (access-list changes on the broker). Expected values come from the product rules: a person HR
 * removed is no longer recognised at the terminal; a visitor carries their period in the
 * terminal's local time (Asia/Shanghai); a terminal that was away catches up; a refused record
 * shows the terminal's code in the gate's status and, when it lasts, as the guard's alert; and the
 * gate still refuses anyone not on its list whatever the terminal recognises.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertMessage, GateStatus } from '../../protocols/gate/messages.ts';
import { waitFor } from '../harness/wait.ts';
import { type IsapiSite, startIsapiSite, TERMINAL_PASSWORD } from './isapi-fixture.ts';
import { measuredByEdge } from './site-fixture.ts';

const run = promisify(execFile);
const CHANGES = 'tg/test-site/access-list/changes';
/** 2026-12-06 08:00 and 18:00 in Shanghai (UTC+8). */
const SH_0800 = Date.UTC(2026, 11, 6, 0, 0, 0);
const SH_1800 = Date.UTC(2026, 11, 6, 10, 0, 0);

describe('an ISAPI terminal whose person list the gate keeps in line with HR', () => {
  let site: IsapiSite;
  let version = 1;

  /** HR's next change, as the hub publishes it. */
  async function hr(change: { upserts?: object[]; removals?: string[] }) {
    const from = version;
    version += 1;
    await site.publish(
      CHANGES,
      JSON.stringify({
        v: 1,
        fromVersion: from,
        toVersion: version,
        issuedAt: Date.now(),
        upserts: change.upserts ?? [],
        removals: change.removals ?? [],
      }),
    );
    await waitFor(() => site.edge.gate.heartbeat().accessListVersion === version, {
      what: `gate holds access list v${version}`,
    });
  }

  const sync = () => site.driver.personSync?.status();
  const inSyncAt = (v: number) => () => {
    const s = sync();
    return s?.state === 'in-sync' && s.listVersion === v ? s : undefined;
  };

  async function presentMeasured(person: { employeeNo: string; name: string }) {
    const m = await measuredByEdge(site.edge, site.thermometer, 365);
    expect(m.completed).toBe(true);
    const result = await site.terminal.present({ mask: 'yes', ...person });
    site.thermometer.leave();
    return { result, decision: await site.decisionFor(result.serialNo) };
  }

  const event = (json: string) => JSON.parse(json).AccessControllerEvent;

  beforeAll(async () => {
    site = await startIsapiSite({
      terminal: { thermometer: undefined, enforcePersonList: true },
      edgeTerminal: {
        personSync: {
          enabled: true,
          batchSize: 2,
          pageSize: 3,
          retryMinMs: 200,
          retryMaxMs: 1000,
          alertAfterMs: 1500,
          requestTimeoutMs: 2000,
        },
      },
    });
  }, 30_000);
  afterAll(async () => {
    await site?.close();
  });

  it('at start the terminal gets everybody on the list, as normal persons without a period', async () => {
    await waitFor(inSyncAt(1), { what: 'first pass done' });
    expect(
      site.terminal.persons
        .list()
        .map((u) => u.employeeNo)
        .sort(),
    ).toEqual(['E1', 'E2', 'E3', 'E4']);
    expect(site.terminal.persons.get('E1')).toMatchObject({
      name: '张伟',
      userType: 'normal',
      valid: { enable: false },
    });
    const { result, decision } = await presentMeasured({ employeeNo: 'E1', name: '张伟' });
    expect(event(result.json)).toMatchObject({ subEventType: 75, employeeNoString: 'E1' });
    expect(decision.reading).toMatchObject({ decision: 'pass' });
  });

  it('HR removes a person: after the sync the terminal no longer recognises them (an unknown face)', async () => {
    await hr({ removals: ['E1'] });
    await waitFor(inSyncAt(2), { what: 'pass after the removal' });
    expect(site.terminal.persons.get('E1')).toBeUndefined();
    const { result, decision } = await presentMeasured({ employeeNo: 'E1', name: '张伟' });
    expect(event(result.json).subEventType).toBe(76);
    expect(event(result.json).employeeNoString).toBeUndefined();
    expect(decision.reading).toMatchObject({ decision: 'denied', reason: 'unknown-face' });
  });

  it('a visitor gets their period in Shanghai time; the terminal recognises them only inside it', async () => {
    await hr({
      upserts: [
        {
          employeeNo: 'V1',
          name: '访客王',
          department: '',
          kind: 'visitor',
          validFrom: SH_0800,
          validUntil: SH_1800,
        },
      ],
    });
    await waitFor(inSyncAt(3), { what: 'pass after the visitor' });
    // The gate admits [08:00, 18:00): the terminal's last second is 17:59:59.
    expect(site.terminal.persons.get('V1')).toEqual({
      employeeNo: 'V1',
      name: '访客王',
      userType: 'visitor',
      valid: { enable: true, beginTime: '2026-12-06T08:00:00', endTime: '2026-12-06T17:59:59' },
    });
    const at = async (atMs: number) =>
      event(
        (await site.terminal.present({ employeeNo: 'V1', name: '访客王' }, { atMs, remoteCheck: false }))
          .json,
      ).subEventType;
    expect(await at(SH_0800 + 2 * 3600_000)).toBe(75);
    expect(await at(SH_0800 - 1000)).toBe(76);
    expect(await at(SH_1800)).toBe(76);
  });

  it('the terminal away: the gate status says why and retries; back, it catches up', async () => {
    await site.terminal.goOffline();
    await hr({
      removals: ['E2'],
      upserts: [{ employeeNo: 'E5', name: '赵磊', department: 'QA' }],
    });
    const failing = await waitFor(
      () => {
        const s = sync();
        return s?.state === 'retrying' && s.errorCode !== null ? s : undefined;
      },
      { what: 'sync retrying while the terminal is away' },
    );
    expect(['TG_ISAPI_UNREACHABLE', 'TG_ISAPI_TIMEOUT']).toContain(failing.errorCode);
    expect(failing.outOfSyncSince).not.toBeNull();
    await site.terminal.goOnline();
    await waitFor(inSyncAt(4), { what: 'caught up after the terminal came back', timeoutMs: 8000 });
    expect(site.terminal.persons.get('E2')).toBeUndefined();
    expect(site.terminal.persons.get('E5')).toMatchObject({ name: '赵磊' });
    expect(sync()).toMatchObject({ pending: 0, errorCode: null, outOfSyncSince: null });
  });

  it("a refused record shows the terminal's code in the gate status and, when it lasts, alerts the guard", async () => {
    const alertsBefore = site.messages.length;
    site.terminal.persons.refuse('E6', { statusCode: 6, subStatusCode: 'badParameters' });
    await hr({
      upserts: [
        { employeeNo: 'E6', name: '孙强', department: 'QA' },
        { employeeNo: 'E7', name: '周敏', department: 'QA' },
      ],
    });
    // The others are recorded all the same.
    await waitFor(() => site.terminal.persons.get('E7'), { what: 'E7 recorded despite E6' });
    const status = await waitFor(
      () => {
        const last = site.messages.filter((m) => m.topic === 'tg/test-site/gate/gate-a/status').at(-1);
        const s = last && (JSON.parse(last.payload) as GateStatus).terminal?.personSync;
        return s?.errorCode === 'TG_ISAPI_STATUS' ? s : undefined;
      },
      { what: "gate status carrying the terminal's refusal" },
    );
    expect(status).toMatchObject({
      state: 'retrying',
      statusCode: 6,
      subStatusCode: 'badParameters',
      pending: 1,
    });
    const alert = await waitFor(
      () =>
        site.messages
          .slice(alertsBefore)
          .filter((m) => m.topic.endsWith('/alert'))
          .map((m) => JSON.parse(m.payload) as AlertMessage)
          .find((a) => a.kind === 'terminal-person-sync' && a.active),
      { what: 'terminal-person-sync alert' },
    );
    expect(alert.severity).toBe('major');
    expect(alert.detail).toContain('人员名单未同步');
    expect(alert.detail).toContain('6/badParameters');
    // The terminal takes it after all (fixed on its side): the next retry syncs and clears the alert.
    site.terminal.persons.accept('E6');
    await waitFor(inSyncAt(5), { what: 'in sync once the terminal takes E6' });
    await waitFor(
      () =>
        site.messages
          .slice(alertsBefore)
          .filter((m) => m.topic.endsWith('/alert'))
          .map((m) => JSON.parse(m.payload) as AlertMessage)
          .find((a) => a.kind === 'terminal-person-sync' && !a.active),
      { what: 'terminal-person-sync alert cleared' },
    );
  });

  it('the gate still refuses somebody the terminal knows but HR does not (enrolled by hand)', async () => {
    site.terminal.persons.add({
      employeeNo: 'X1',
      name: '陈静',
      userType: 'normal',
      valid: { enable: false, beginTime: '2000-01-01T00:00:00', endTime: '2037-12-31T23:59:59' },
    });
    const { result, decision } = await presentMeasured({ employeeNo: 'X1', name: '陈静' });
    expect(event(result.json)).toMatchObject({ subEventType: 75, employeeNoString: 'X1' });
    expect(decision.reading).toMatchObject({ decision: 'denied', reason: 'not-on-access-list' });
    expect(result.opened).toBe(false);
  });

  it("Debian's curl --digest reads the simulated terminal's person list (UserInfo/Search)", async () => {
    const { stdout } = await run('curl', [
      '-sS',
      '--digest',
      '-u',
      `admin:${TERMINAL_PASSWORD}`,
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      '-d',
      '{"UserInfoSearchCond":{"searchID":"curl","searchResultPosition":0,"maxResults":30}}',
      `${site.terminal.address}/ISAPI/AccessControl/UserInfo/Search?format=json`,
    ]);
    const page = JSON.parse(stdout).UserInfoSearch;
    expect(page).toMatchObject({ searchID: 'curl', responseStatusStrg: 'OK' });
    expect(page.UserInfo.map((u: { employeeNo: string }) => u.employeeNo)).toContain('V1');
    expect(page.UserInfo.find((u: { employeeNo: string }) => u.employeeNo === 'V1').Valid).toMatchObject({
      enable: true,
      beginTime: '2026-12-06T08:00:00',
      timeType: 'local',
    });
  });
});
