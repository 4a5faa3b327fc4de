/**
 * Issue 17 end to end, with the real hub and two real edge daemons (no dashboard: the hub alone
 * protects the site). A fever at gate-a puts a hold on the person at every gate: at a normal
 * temperature they are refused at gate-a and at gate-b, told where to go; a clearing close lets
 * them pass; "sent home" keeps them out across restarts of everything until HR lifts the hold.
 */
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoldRequestInput } from '../../protocols/site/holds.ts';
import { HoldRequest } from '../../protocols/site/holds.ts';
import { parseHubConfig } from '../../hub/config/load.ts';
import { createHub, type Hub } from '../../hub/hub.ts';
import { freePort } from '../harness/ports.ts';
import { waitFor } from '../harness/wait.ts';
import { SITE, silent, startGate, type TestGate, tempDir, writeCredentials } from '../hub/fixture.ts';

/** A request without its envelope (the union kept: Omit on a union would merge its members). */
type Body = HoldRequestInput extends infer U
  ? U extends unknown
    ? Omit<U, 'v' | 'id' | 'at'>
    : never
  : never;
const HEADER = 'employeeNo,name,department,kind,validFrom,validUntil';
const person = (employeeNo: string, name: string, celsius: number) => ({
  employeeNo,
  name,
  mask: 'yes' as const,
  temperatureTenths: Math.round(celsius * 10),
});

describe('person holds across the site, hub alone', () => {
  const dir = tempDir('tg-site-holds-');
  let port: number;
  let hub: Hub;
  let passwords: Record<string, string>;
  let gateA: TestGate;
  let gateB: TestGate;
  const url = () => `mqtt://127.0.0.1:${port}`;

  const startHub = async () => {
    const config = parseHubConfig({
      siteId: SITE,
      mqtt: { host: '127.0.0.1', port },
      credentialsFile: join(dir, 'credentials.json'),
      persistenceDir: join(dir, 'hub'),
      fleet: { heartbeatTimeoutMs: 3000, publishIntervalMs: 100 },
      watchIntervalMs: 100,
      logLevel: 'silent',
    });
    hub = await createHub(config, { log: silent });
    await hub.listen();
  };
  const startGates = async () => {
    gateA = await startGate({ url: url(), passwords }, 'gate-a', 'T1', dir);
    gateB = await startGate({ url: url(), passwords }, 'gate-b', 'T2', dir);
  };
  /** Both gates hold the hub's current holds version. */
  const gatesCaughtUp = () =>
    waitFor(
      () => {
        const v = hub.holds.current()?.version ?? null;
        return v !== null && [gateA, gateB].every((g) => g.edge.gate.status(true).holdsVersion === v);
      },
      { what: 'both gates holding the hub’s holds', timeoutMs: 15_000 },
    );
  const request = (r: Body) =>
    hub.holds.request(HoldRequest.parse({ v: 1, id: `r-${Date.now()}`, at: Date.now(), ...r }));

  beforeAll(async () => {
    port = await freePort();
    passwords = await writeCredentials(join(dir, 'credentials.json'));
    await startHub();
    await hub.accessList.importCsv(
      `${HEADER}\nE1,张伟,QA,employee,,\nE2,李娜,QA,employee,,\nE3,王芳,QA,employee,,\n`,
    );
    await startGates();
    await waitFor(() => [gateA, gateB].every((g) => g.edge.gate.status(true).accessListVersion !== null), {
      what: 'access list at both gates',
      timeoutMs: 15_000,
    });
  }, 60_000);
  afterAll(async () => {
    await gateA?.stop();
    await gateB?.stop();
    await hub?.close();
  });

  it('a fever at gate-a refuses the person at both gates at a normal temperature; a clearing close lets them pass', async () => {
    const fever = await gateA.terminal.present(person('E1', '张伟', 38.2));
    expect(fever.verdict).toMatchObject({ checkResult: 'failed', open: false });
    expect(fever.verdict?.display).toMatch(/^38\.2°C 体温异常 请前往隔离观察区/);
    await waitFor(
      () => hub.holds.current()?.entries.find((h) => h.employeeNo === 'E1' && h.state === 'active'),
      {
        what: 'the hub’s hold on E1',
      },
    );
    await gatesCaughtUp();

    // Forehead cooled by the walk: 36.5 °C. Refused at the other gate and at the same one.
    for (const g of [gateB, gateA]) {
      const r = await g.terminal.present(person('E1', '张伟', 36.5));
      expect(r.opened).toBe(false);
      expect(r.verdict).toMatchObject({ checkResult: 'failed', open: false });
      // Where to go: the isolation area (no dashboard assigns rooms here), as the flag said.
      expect(r.verdict?.display).toBe('36.5°C 体温异常未解除 请前往隔离观察区');
    }
    // Somebody else still passes.
    expect((await gateB.terminal.present(person('E2', '李娜', 36.4))).opened).toBe(true);

    const lift = await request({
      action: 'lift',
      employeeNo: 'E1',
      by: 'dashboard:guard1',
      reason: 'recheck-normal',
      note: '水银体温计复测 36.6°C',
    });
    expect(lift.ok).toBe(true);
    await gatesCaughtUp();
    for (const g of [gateA, gateB])
      expect((await g.terminal.present(person('E1', '张伟', 36.5))).opened).toBe(true);
  });

  it('a lift that has not seen the newest fever is refused: the person stays held', async () => {
    await gateB.terminal.present(person('E1', '张伟', 38.0));
    await waitFor(
      () => hub.holds.current()?.entries.find((h) => h.employeeNo === 'E1' && h.state === 'active'),
      {
        what: 'E1 held again',
      },
    );
    const r = await request({
      action: 'lift',
      employeeNo: 'E1',
      by: 'dashboard:guard1',
      reason: 'recheck-normal',
      readingIds: ['site-1:gate-a:1'],
    });
    expect(r).toMatchObject({ ok: false, code: 'TG_HUB_HOLD_NEWER_FLAG' });
    await gatesCaughtUp();
    expect((await gateA.terminal.present(person('E1', '张伟', 36.5))).opened).toBe(false);
  });

  it('“sent home” keeps the person out across restarts of the hub and both gates until HR lifts the hold', async () => {
    await gateA.terminal.present(person('E3', '王芳', 38.6));
    await waitFor(
      () => hub.holds.current()?.entries.find((h) => h.employeeNo === 'E3' && h.state === 'active'),
      {
        what: 'E3 held',
      },
    );
    expect(
      (
        await request({
          action: 'stage',
          employeeNo: 'E3',
          by: 'dashboard:guard1',
          stage: 'sent-home',
          note: '复测 38.4°C',
        })
      ).ok,
    ).toBe(true);
    await gatesCaughtUp();

    // The next day, everything restarted (the hub first, then the gates while it is still down).
    await gateA.stop();
    await gateB.stop();
    await hub.close();
    await startHub();
    await startGates();
    await gatesCaughtUp();
    for (const g of [gateA, gateB]) {
      const r = await g.terminal.present(person('E3', '王芳', 36.4));
      expect(r.opened).toBe(false);
      expect(r.verdict?.display).toBe('36.4°C 请持医院健康证明返岗 禁止通行');
    }

    // HR saw the hospital's certificate.
    const lift = await request({
      action: 'lift',
      employeeNo: 'E3',
      by: 'dashboard:hr1',
      reason: 'certificate',
      note: '发热门诊证明，已排除',
      returnDate: '2026-12-08',
    });
    expect(lift.ok).toBe(true);
    await gatesCaughtUp();
    for (const g of [gateA, gateB])
      expect((await g.terminal.present(person('E3', '王芳', 36.4))).opened).toBe(true);
    expect(hub.holds.current()?.entries.find((h) => h.employeeNo === 'E3')).toMatchObject({
      state: 'lifted',
      liftReason: 'certificate',
      returnDate: '2026-12-08',
      liftedBy: 'dashboard:hr1',
    });
  }, 60_000);

  it('a policy change reaches every gate; readings carry the version and threshold they were decided with', async () => {
    const before = hub.policy.current();
    const o = await hub.policy.set({
      baseVersion: before.version,
      by: 'admin:alice',
      rules: { ...before.rules, feverThresholdTenths: 375 },
      calendar: before.calendar,
    });
    expect(o).toMatchObject({ ok: true, version: before.version + 1 });
    await waitFor(
      () => [gateA, gateB].every((g) => g.edge.gate.status(true).policyVersion === before.version + 1),
      {
        what: 'the new policy at both gates',
        timeoutMs: 15_000,
      },
    );
    const obs = await mqtt.connectAsync(url(), {
      username: 'svc',
      password: passwords.svc,
      clientId: 'svc-policy-obs',
    });
    const seen: Array<{
      decision: string;
      employeeNo: string;
      policyVersion: number | null;
      thresholdTenths: number | null;
    }> = [];
    obs.on('message', (_t, p) =>
      seen.push((JSON.parse(p.toString()) as { reading: (typeof seen)[number] }).reading),
    );
    await obs.subscribeAsync(`tg/${SITE}/gate/+/decision`, { qos: 1 });
    // 37.4 °C: flagged at 37.3, normal at 37.5.
    for (const g of [gateA, gateB])
      expect((await g.terminal.present(person('E2', '李娜', 37.4))).opened).toBe(true);
    await waitFor(() => seen.filter((r) => r.employeeNo === 'E2').length >= 2, {
      what: 'both decisions seen',
    });
    await obs.endAsync();
    expect(seen.filter((r) => r.employeeNo === 'E2')).toEqual([
      expect.objectContaining({ decision: 'pass', policyVersion: before.version + 1, thresholdTenths: 375 }),
      expect.objectContaining({ decision: 'pass', policyVersion: before.version + 1, thresholdTenths: 375 }),
    ]);
    // An edit of an outdated version is refused, not silently applied over the newer one.
    expect(
      await hub.policy.set({
        baseVersion: before.version,
        by: 'admin:bob',
        rules: before.rules,
        calendar: before.calendar,
      }),
    ).toMatchObject({
      ok: false,
      code: 'TG_HUB_POLICY_CONFLICT',
    });
  });

  it('a holds change the gates cannot read: each raises site-list-rejected on the wire until a real change reaches it', async () => {
    await gatesCaughtUp();
    const obs = await mqtt.connectAsync(url(), {
      username: 'svc',
      password: passwords.svc,
      clientId: 'svc-lists-obs',
    });
    const alerts: Array<{ gateId: string; kind: string; active: boolean; severity: string }> = [];
    obs.on('message', (_t, p) => alerts.push(JSON.parse(p.toString())));
    await obs.subscribeAsync(`tg/${SITE}/gate/+/alert`, { qos: 1 });
    const of = (gateId: string) =>
      alerts.filter((a) => a.gateId === gateId && a.kind === 'site-list-rejected').map((a) => a.active);
    const snapshots = () => [gateA, gateB].map((g) => g.edge.gate.lists.received.holds.snapshots);
    const before = snapshots();
    try {
      // What a broken or foreign publisher could put on the topic (the hub is the only one allowed).
      await hub.publish(`tg/${SITE}/holds/changes`, '{"v":1,"fromVersion":', { qos: 0 });
      await waitFor(() => of('gate-a').length > 0 && of('gate-b').length > 0, {
        what: 'site-list-rejected from both gates',
      });
      // Each fetched the snapshot (the refused change may have held somebody).
      await waitFor(() => snapshots().every((n, i) => n > (before[i] as number)), {
        what: 'the holds snapshot fetched by both gates',
      });
      for (const g of [gateA, gateB]) expect(g.edge.gate.status(true).listsRejected).toEqual(['holds']);
      expect(alerts.find((a) => a.kind === 'site-list-rejected')?.severity).toBe('major');
      // The snapshot the gates fetched is the version they hold: it does not say they are current.
      expect([of('gate-a'), of('gate-b')]).toEqual([[true], [true]]);
      // The next real change reaches them: current again, the alert ends.
      await request({ action: 'open', employeeNo: 'E3', by: 'dashboard:guard1', name: '王芳', note: '' });
      await gatesCaughtUp();
      await waitFor(() => of('gate-a').length === 2 && of('gate-b').length === 2, {
        what: 'site-list-rejected ended at both gates',
      });
      expect([of('gate-a'), of('gate-b')]).toEqual([
        [true, false],
        [true, false],
      ]);
      for (const g of [gateA, gateB]) expect(g.edge.gate.status(true).listsRejected).toEqual([]);
    } finally {
      await obs.endAsync();
    }
  }, 60_000);

  it('a gate away while holds change knows them when it is back on its kept session (nothing was queued for it)', async () => {
    // The hub sends holds changes at QoS 0 with the last one retained: a gate coming back gets it
    // when it subscribes again and applies it, or sees that it missed one and fetches the snapshot
    // (edge/core/site-lists.ts). Without that it would let the person through until the next change.
    const away = async (changes: () => Promise<void>) => {
      await gateB.stop();
      await changes();
      gateB = await startGate({ url: url(), passwords }, 'gate-b', 'T2', dir);
      await gatesCaughtUp();
    };
    const held = (employeeNo: string, stage: string) =>
      waitFor(
        () =>
          hub.holds
            .current()
            ?.entries.find((h) => h.employeeNo === employeeNo && h.state === 'active' && h.stage === stage),
        { what: `${employeeNo} held (${stage})` },
      );
    // One change while away: the retained change is the next one for gate-b.
    await away(async () => {
      await gateA.terminal.present(person('E2', '李娜', 38.4));
      await held('E2', 'fever');
    });
    let r = await gateB.terminal.present(person('E2', '李娜', 36.5));
    expect(r.opened).toBe(false);
    expect(r.verdict).toMatchObject({ checkResult: 'failed', open: false });
    // Two changes while away (the second after the hub's gap between changes): the retained one is
    // not the next for gate-b, which fetches the snapshot.
    await away(async () => {
      await request({
        action: 'stage',
        employeeNo: 'E2',
        by: 'dashboard:guard1',
        stage: 'referred-to-hospital',
        note: '',
      });
      await held('E2', 'referred-to-hospital');
      await request({
        action: 'stage',
        employeeNo: 'E2',
        by: 'dashboard:guard1',
        stage: 'sent-home',
        note: '复测 38.2°C',
      });
      await held('E2', 'sent-home');
    });
    r = await gateB.terminal.present(person('E2', '李娜', 36.5));
    expect(r.opened).toBe(false);
    expect(r.verdict?.display).toBe('36.5°C 请持医院健康证明返岗 禁止通行');
  }, 60_000);
});
