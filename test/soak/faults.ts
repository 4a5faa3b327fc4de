/**
 * The faults of the soak, one function each. A fault marks the lanes it affects while it is on
 * (so each passage knows what it went through), restores the site, and returns when and where it
 * happened. Recovery is measured afterwards from the passages (the first person released after
 * `restoredAt` at each affected gate).
 */
import { appendFileSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { FACE_EVENT } from '../fuzz/samples.ts';
import { waitFor } from '../harness/wait.ts';
import { readDashboardDb } from './dashboard-view.ts';
import { pick, sleep } from './rng.ts';
import { GATE3_DISK_MB, type GateId, SMALL_OUTBOX, type Site } from './site.ts';

export const FAULT_KINDS = [
  'influx-restart',
  'hub-kill',
  'edge-kill',
  'pty-unplug',
  'thermometer-silent',
  'sensor-fault-bit',
  'stuck-reading',
  'drifting-reading',
  'serial-noise',
  'mqtt-abuse',
  'clock-step',
  'disk-nearly-full',
  'dashboard-restart',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Injection {
  kind: FaultKind;
  round: number;
  gates: GateId[];
  startedAt: number;
  /** When the site was put right again (recovery is measured from here). */
  restoredAt: number;
  detail: string;
  /** Fault-specific observations (alert times, depths, counts). */
  notes: Record<string, number | string | boolean | null>;
}

/** Background line noise on the Modbus lanes, all run long. */
export const BACKGROUND_NOISE = 0.02;

type Fault = (s: Site, round: number) => Promise<Omit<Injection, 'kind' | 'round'>>;

/**
 * A thermometer fault is only a fault injection when the thermometer was online: one started while
 * the gate still reconnects after the previous one (the same kind twice in a row, across a round
 * boundary) changes no state, so no new alert is due. Waits for a fresh heartbeat saying online.
 */
async function thermometerOnline(s: Site, g: GateId): Promise<void> {
  const since = Date.now();
  await waitFor(
    () =>
      s.observer.heartbeats.some((h) => h.at > since && h.msg.gateId === g && h.msg.thermometer === 'online'),
    { what: `${g} thermometer online before the fault`, timeoutMs: 30_000, intervalMs: 100 },
  ).catch(() => undefined);
}

async function marked<T>(s: Site, gates: GateId[], label: string, fn: () => Promise<T>): Promise<T> {
  for (const g of gates) s.lanes.get(g)?.active.add(label);
  try {
    return await fn();
  } finally {
    for (const g of gates) s.lanes.get(g)?.active.delete(label);
  }
}

/** Ends a client that the hub may already have thrown out, without waiting on it for long. */
const closeClient = (c: mqtt.MqttClient) => Promise.race([c.endAsync(true).catch(() => {}), sleep(1000)]);

const thermometerGate = (s: Site): GateId => pick(s.rng, ['gate-1', 'gate-2'] as const);

export const FAULTS: Record<FaultKind, Fault> = {
  async 'influx-restart'(s) {
    const gates: GateId[] = ['gate-1', 'gate-2'];
    const startedAt = Date.now();
    await marked(s, gates, 'influx-restart', async () => {
      await s.influx.stop();
      await sleep(6000);
      await s.influx.restart();
    });
    return {
      gates,
      startedAt,
      restoredAt: Date.now(),
      detail: 'InfluxDB stopped for 6 s, restarted',
      notes: {},
    };
  },

  async 'hub-kill'(s) {
    const gates = [...s.lanes.keys()];
    const startedAt = Date.now();
    let restoredAt = 0;
    await marked(s, gates, 'hub-kill', async () => {
      s.killHub();
      await s.hub?.exited;
      await sleep(3000);
      restoredAt = Date.now();
      await s.startHub();
    });
    return { gates, startedAt, restoredAt, detail: 'hub SIGKILLed, restarted after 3 s', notes: {} };
  },

  async 'edge-kill'(s) {
    const g = pick(s.rng, ['gate-1', 'gate-2', 'gate-3'] as const);
    await sleep(Math.floor(s.rng() * 1500));
    const startedAt = Date.now();
    let restoredAt = 0;
    let upAfterMs = 0;
    await marked(s, [g], 'edge-kill', async () => {
      await s.killEdge(g);
      await sleep(2000);
      restoredAt = Date.now();
      s.startEdge(g);
      upAfterMs = (await s.waitGateUp(g, restoredAt)) - restoredAt;
    });
    return {
      gates: [g],
      startedAt,
      restoredAt,
      detail: `${g} SIGKILLed at a random moment, restarted after 2 s`,
      notes: { processUpAfterMs: upAfterMs },
    };
  },

  async 'dashboard-restart'(s) {
    const startedAt = Date.now();
    const notes: Injection['notes'] = {};
    // Fevers while it is down, so the persistent session has something to keep.
    for (const g of ['gate-1', 'gate-3'] as const) {
      const lane = s.lanes.get(g);
      if (lane) lane.feversDue = g === 'gate-3' ? 2 : 1;
    }
    await s.killDashboard();
    await sleep(3000);
    const restoredAt = Date.now();
    const healthyAt = await s.startDashboard();
    notes.healthzAfterMs = healthyAt - restoredAt;
    const firstAlert = await waitFor(() => s.observer.dashboardAlerts.find((a) => a.at >= restoredAt), {
      what: 'an alert state published by the restarted dashboard',
      timeoutMs: 30_000,
      intervalMs: 50,
    }).catch(() => undefined);
    notes.firstAlertAfterMs = firstAlert ? firstAlert.at - restoredAt : null;
    notes.recoveredAfterMs = firstAlert ? Math.max(healthyAt, firstAlert.at) - restoredAt : null;
    for (const lane of s.lanes.values()) lane.feversDue = 0;
    // Every fever the gates announced while the dashboard was away reaches it from its session.
    const whileDown = new Set(
      s.observer
        .alertsOf('fever', undefined, startedAt, healthyAt)
        .filter((a) => a.msg.active && a.msg.readingId)
        .map((a) => a.msg.readingId as string),
    );
    notes.feversWhileDown = whileDown.size;
    const delivered = () => {
      const { alertOfReading } = readDashboardDb(s.dashboardDb);
      return [...whileDown].filter((id) => alertOfReading.has(id)).length;
    };
    const all = await waitFor(() => delivered() === whileDown.size, {
      what: 'the fevers raised while the dashboard was down in its alert list',
      timeoutMs: 30_000,
      intervalMs: 200,
    }).catch(() => false);
    notes.feversWhileDownDelivered = delivered();
    notes.backlogAfterMs = all ? Date.now() - restoredAt : null;
    return {
      gates: [],
      startedAt,
      restoredAt,
      detail: 'dashboard SIGKILLed, restarted after 3 s on the same data dir',
      notes,
    };
  },

  async 'pty-unplug'(s) {
    await thermometerOnline(s, 'gate-1');
    const startedAt = Date.now();
    await marked(s, ['gate-1'], 'pty-unplug', async () => {
      await s.pty.unplug();
      await sleep(4000);
      await s.pty.replug();
    });
    const restoredAt = Date.now();
    return {
      gates: ['gate-1'],
      startedAt,
      restoredAt,
      detail: 'gate-1 thermometer pty removed for 4 s, re-created at the same path',
      notes: {},
    };
  },

  async 'thermometer-silent'(s) {
    const g = thermometerGate(s);
    const t = s.lanes.get(g)?.thermometer;
    await thermometerOnline(s, g);
    const startedAt = Date.now();
    await marked(s, [g], 'thermometer-silent', async () => {
      t?.setSilent(true);
      await sleep(4000);
      t?.setSilent(false);
    });
    return {
      gates: [g],
      startedAt,
      restoredAt: Date.now(),
      detail: `${g} thermometer silent for 4 s`,
      notes: {},
    };
  },

  async 'sensor-fault-bit'(s) {
    const g = thermometerGate(s);
    const t = s.lanes.get(g)?.thermometer;
    const startedAt = Date.now();
    await marked(s, [g], 'sensor-fault-bit', async () => {
      t?.setSensorFault(true);
      await sleep(4000);
      t?.setSensorFault(false);
    });
    return {
      gates: [g],
      startedAt,
      restoredAt: Date.now(),
      detail: `${g} status bit 4 (sensor fault) for 4 s`,
      notes: {},
    };
  },

  async 'stuck-reading'(s) {
    const g = thermometerGate(s);
    const lane = s.lanes.get(g);
    const startedAt = Date.now();
    await marked(s, [g], 'stuck-reading', async () => {
      if (lane) lane.stuckAt = 366;
      await lane?.waitPassages(8, 30_000);
      if (lane) lane.stuckAt = undefined;
    });
    return {
      gates: [g],
      startedAt,
      restoredAt: Date.now(),
      detail: `${g} thermometer reports 36.6 °C for 8 people in a row, whatever their temperature`,
      notes: {},
    };
  },

  async 'drifting-reading'(s, round) {
    const g = thermometerGate(s);
    const lane = s.lanes.get(g);
    const dir = round % 2 === 0 ? 1 : -1;
    const startedAt = Date.now();
    await marked(s, [g], dir > 0 ? 'drift-up' : 'drift-down', async () => {
      for (let k = 1; k <= 8; k++) {
        if (lane) lane.driftTenths = dir * 2 * k;
        await lane?.waitPassages(1, 8000);
      }
      if (lane) lane.driftTenths = 0;
    });
    return {
      gates: [g],
      startedAt,
      restoredAt: Date.now(),
      detail: `${g} thermometer drifts ${dir > 0 ? 'up' : 'down'} 0.2 °C per person to ${dir * 1.6} °C, then recalibrated`,
      notes: { direction: dir > 0 ? 'up' : 'down' },
    };
  },

  async 'serial-noise'(s) {
    const g = thermometerGate(s);
    const noise = s.lanes.get(g)?.noise;
    const before = { ...(noise?.counts ?? { answers: 0, noisePrefixed: 0, truncated: 0, badCrc: 0 }) };
    const startedAt = Date.now();
    await marked(s, [g], 'serial-noise', async () => {
      if (noise) noise.rate = 0.3;
      await sleep(8000);
      if (noise) noise.rate = BACKGROUND_NOISE;
    });
    const c = noise?.counts;
    return {
      gates: [g],
      startedAt,
      restoredAt: Date.now(),
      detail: `${g}: 30 % of answers corrupted for 8 s (noise in front, cut short, bad CRC)`,
      notes: {
        answers: (c?.answers ?? 0) - before.answers,
        corrupted:
          (c?.noisePrefixed ?? 0) +
          (c?.truncated ?? 0) +
          (c?.badCrc ?? 0) -
          before.noisePrefixed -
          before.truncated -
          before.badCrc,
      },
    };
  },

  async 'mqtt-abuse'(s) {
    const gates: GateId[] = ['gate-1', 'gate-2'];
    const startedAt = Date.now();
    const notes: Injection['notes'] = {};
    await marked(s, gates, 'mqtt-abuse', async () => {
      // A misbehaving terminal firmware (term-1's credentials, its own client id).
      const rogue = await mqtt.connectAsync(s.brokerUrl, {
        clientId: 'term-1-rogue',
        username: 'term-1',
        password: s.password('term-1'),
        reconnectPeriod: 0,
      });
      const topic = 'face/term-1/event';
      const bad = [
        'not json at all',
        '{"serialNo": 1, "dateTime":',
        JSON.stringify({ hello: 'world' }),
        JSON.stringify({ ...FACE_EVENT, serialNo: -5 }),
        JSON.stringify({ ...FACE_EVENT, serialNo: 900_001, currTemperature: 'hot' }),
        JSON.stringify({ ...FACE_EVENT, serialNo: 900_002, currTemperature: 201, isRealtime: false }),
        JSON.stringify({
          ...FACE_EVENT,
          serialNo: 900_003,
          dateTime: '0001-01-01T00:00:00Z',
          isRealtime: false,
        }),
        JSON.stringify({ ...FACE_EVENT, serialNo: 900_004, name: 'x'.repeat(20_000) }),
        Buffer.from(Array.from({ length: 300 }, () => Math.floor(s.rng() * 256))),
      ];
      for (const p of bad) await rogue.publishAsync(topic, p, { qos: 1 });
      notes.malformedSent = bad.length;
      // Larger than the hub's payload limit: the hub drops the client.
      rogue.publish(topic, 'x'.repeat(70 * 1024), { qos: 0 });
      await sleep(500);
      notes.oversizedDisconnected = !rogue.connected;
      await closeClient(rogue);
      // Outside its ACL: a terminal trying to open a gate.
      const sneaky = await mqtt.connectAsync(s.brokerUrl, {
        clientId: 'term-1-rogue',
        username: 'term-1',
        password: s.password('term-1'),
        reconnectPeriod: 0,
      });
      // Not awaited: the hub answers by closing the connection, so no PUBACK ever comes.
      sneaky.publish(
        'tg/soak/gate/gate-1/command',
        JSON.stringify({ v: 1, id: 'x', kind: 'open-once', reason: 'rogue', by: 'rogue', at: Date.now() }),
        { qos: 1 },
      );
      await sleep(500);
      notes.aclViolatorDisconnected = !sneaky.connected;
      await closeClient(sneaky);
      // A client flooding garbage as fast as the socket takes it, for 3 s.
      const flood = await mqtt.connectAsync(s.brokerUrl, {
        clientId: 'term-2-rogue',
        username: 'term-2',
        password: s.password('term-2'),
        reconnectPeriod: 0,
      });
      let sent = 0;
      const until = Date.now() + 3000;
      while (Date.now() < until && flood.connected && sent < 200_000) {
        for (let i = 0; i < 200 && flood.connected; i++, sent++)
          flood.publish('face/term-2/event', `garbage ${sent}`, { qos: 0 });
        await sleep(1);
      }
      notes.floodSent = sent;
      notes.floodDisconnected = !flood.connected;
      await closeClient(flood);
    });
    const restoredAt = Date.now();
    notes.terminalsOnlineAfter = [...s.lanes.values()].every((l) => l.terminal.isOnline);
    return {
      gates,
      startedAt,
      restoredAt,
      detail: 'malformed, oversized, wrong-schema and poison payloads, an ACL violation, a 3 s flood',
      notes,
    };
  },

  async 'clock-step'(s) {
    const startedAt = Date.now();
    await marked(s, ['gate-3'], 'clock-step', async () => {
      s.setClockOffset(600);
      await sleep(8000);
      s.setClockOffset(0);
      await sleep(3000);
      s.setClockOffset(-600);
      await sleep(8000);
      s.setClockOffset(0);
    });
    return {
      gates: ['gate-3'],
      startedAt,
      restoredAt: Date.now(),
      detail:
        "gate-3's system clock (libfaketime) 10 min ahead for 8 s, back, then 10 min behind for 8 s, back",
      notes: {},
    };
  },

  async 'disk-nearly-full'(s) {
    const disk = s.gate3Disk;
    if (disk?.real) return realDiskNearlyFull(s, disk.path);
    const sim = await simulatedDiskNearlyFull(s);
    return {
      ...sim,
      detail: `SIMULATED (${disk?.reason ?? 'no disk'}): ${sim.detail}`,
      notes: { ...sim.notes, realDisk: false, simulatedBecause: disk?.reason ?? 'no disk' },
    };
  },
};

/** Without a filesystem of its own: the outbox filled to half its capacity in readings. */
async function simulatedDiskNearlyFull(s: Site): Promise<Omit<Injection, 'kind' | 'round'>> {
  const lane = s.lanes.get('gate-3');
  const startedAt = Date.now();
  const notes: Injection['notes'] = {};
  let restoredAt = 0;
  await marked(s, ['gate-3'], 'disk-nearly-full', async () => {
    lane?.pause(true);
    await sleep(1500);
    await s.influxSmall.stop();
    const burstStart = Date.now();
    const n = Math.ceil(SMALL_OUTBOX * 0.56);
    await lane?.burst(n, 8);
    notes.burst = n;
    const raised = await waitFor(
      () => s.observer.alertsOf('outbox-filling', 'gate-3', burstStart).find((a) => a.msg.active),
      { what: 'outbox-filling alert from gate-3', timeoutMs: 30_000, intervalMs: 100 },
    ).catch(() => undefined);
    notes.alertRaised = raised !== undefined;
    notes.alertSeverity = raised?.msg.severity ?? null;
    notes.alertDetail = raised?.msg.detail ?? null;
    notes.depthAtAlert = raised ? Number(/outbox (\d+)/.exec(raised.msg.detail)?.[1] ?? -1) : null;
    await sleep(1500);
    notes.depthBeforeRestart = s.observer.heartbeat('gate-3')?.outbox.depth ?? null;
    restoredAt = Date.now();
    await s.influxSmall.restart();
    const cleared = await waitFor(
      () =>
        s.observer.alertsOf('outbox-filling', 'gate-3', restoredAt).find((a) => !a.msg.active) &&
        s.observer.heartbeat('gate-3')?.outbox.depth === 0,
      { what: 'gate-3 outbox drained and alert cleared', timeoutMs: 60_000, intervalMs: 200 },
    ).catch(() => false);
    notes.drainedAndClearedAfterMs = cleared ? Date.now() - restoredAt : null;
    lane?.pause(false);
  });
  return {
    gates: ['gate-3'],
    startedAt,
    restoredAt,
    detail: `gate-3 (outbox capacity ${SMALL_OUTBOX}) cut off from its InfluxDB while a burst fills the outbox past 50 %`,
    notes,
  };
}

const MB = 1024 * 1024;
const freeBytes = (path: string) => {
  const st = statfsSync(path);
  return Number(st.bavail) * Number(st.bsize);
};

/** Grows the ballast file until `target` bytes are left free on the filesystem. */
function fillTo(path: string, ballast: string, target: number): number {
  let missing = freeBytes(path) - target;
  const chunk = Buffer.alloc(MB, 0x5a);
  while (missing > 0) {
    const n = Math.min(missing, chunk.length);
    appendFileSync(ballast, n === chunk.length ? chunk : chunk.subarray(0, n));
    missing -= n;
  }
  return freeBytes(path);
}

/**
 * gate-3's own small filesystem (a tmpfs, `diskReserveMB: 1`) filled with a ballast file while
 * people keep passing: first below the alert line (4 × reserve: 2.5 MB left, minor), then below the
 * reserve (0.5 MB left, critical); the ballast removed, the alert must clear. Nothing may be lost
 * (check.ts counts gate-3's passages during the fault against the readings stored).
 */
async function realDiskNearlyFull(s: Site, path: string): Promise<Omit<Injection, 'kind' | 'round'>> {
  const ballast = join(path, 'ballast');
  const notes: Injection['notes'] = { realDisk: true, diskMB: GATE3_DISK_MB, reserveMB: 1 };
  const startedAt = Date.now();
  let restoredAt = 0;
  await marked(s, ['gate-3'], 'disk-nearly-full', async () => {
    try {
      for (const [step, leftMB, severities] of [
        ['filling', 2.5, ['minor', 'major', 'critical']],
        ['critical', 0.5, ['critical']],
      ] as const) {
        const since = Date.now();
        notes[`${step}FreeMB`] = Math.round((fillTo(path, ballast, leftMB * MB) / MB) * 10) / 10;
        const raised = await waitFor(
          () =>
            s.observer
              .alertsOf('outbox-filling', 'gate-3', since)
              .find((a) => a.msg.active && (severities as readonly string[]).includes(a.msg.severity)),
          { what: `gate-3 outbox-filling alert (${step})`, timeoutMs: 20_000, intervalMs: 100 },
        ).catch(() => undefined);
        notes[`${step}AlertAfterMs`] = raised ? raised.at - since : null;
        notes[`${step}Severity`] = raised?.msg.severity ?? null;
        notes[`${step}Detail`] = raised?.msg.detail ?? null;
        await sleep(1000);
      }
    } finally {
      restoredAt = Date.now();
      rmSync(ballast, { force: true });
    }
    const cleared = await waitFor(
      () => s.observer.alertsOf('outbox-filling', 'gate-3', restoredAt).find((a) => !a.msg.active),
      { what: 'gate-3 outbox-filling alert cleared', timeoutMs: 20_000, intervalMs: 100 },
    ).catch(() => undefined);
    notes.clearedAfterMs = cleared ? cleared.at - restoredAt : null;
  });
  notes.alertRaised = notes.fillingAlertAfterMs !== null && notes.criticalAlertAfterMs !== null;
  // A commit that failed (SQLite's WAL needing room the ballast took) spills readings to memory:
  // allowed, as long as none is lost; the figures say whether it happened.
  notes.writeFailed = s.observer
    .alertsOf('outbox-filling', 'gate-3', startedAt)
    .some((a) => a.msg.detail.includes('cannot commit'));
  return {
    gates: ['gate-3'],
    startedAt,
    restoredAt,
    detail: `gate-3's ${GATE3_DISK_MB} MB filesystem filled to 2.5 MB, then 0.5 MB free (reserve 1 MB), then emptied`,
    notes,
  };
}
