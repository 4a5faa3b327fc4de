/**
 * One slice of the scale benchmark's load generator (bench/scale.ts forks several, so that the
 * 2,000 MQTT connections of 1,000 gates are not played by one event loop). Each simulated gate is
 * the traffic a real edge daemon makes on the broker: its own credentials, a persistent session
 * with the edge's subscriptions (edge/core/gate.ts subscriptions() and the hub's clock), a retained
 * status and a will; on each face event it answers the terminal with the verdict, then publishes
 * the decision and the reading (and a fever alert when flagged), all valid against the protocol's
 * schemas so the hub and the dashboard do their real work on them; a fever decision names the
 * room of the gate's retained isolation plan, as the edge does (naming none made the dashboard
 * send the hub a room for every fever, a second holds change); a heartbeat every 10 s. Each
 * terminal (its own credentials) publishes its status and one face event per `1 / rate` seconds;
 * one passage in `feverEvery` of the whole site is a fever (36.0–37.2 °C otherwise).
 *
 * Driven over IPC by the parent: `connect` → `connected`, `start` → (load runs) → `stop` →
 * `report` (latency samples with epoch times, so the parent can cut the measured window and match
 * fevers with the dashboard's live feed), `close` → `closed`.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { formatIsoWithOffset } from '../../firmware-sim/time.ts';

export type WorkerCommand =
  | { cmd: 'connect'; url: string; site: string; gates: number[]; password: string }
  | {
      cmd: 'start';
      startAt: number;
      totalGates: number;
      rate: number;
      /** One passage in this many, counted over the whole site in time order, is a fever. */
      feverEvery: number;
    }
  | { cmd: 'stop' }
  | { cmd: 'close' };

export interface WorkerReport {
  /** [event published (epoch ms), event → verdict ms] */
  verdicts: [number, number][];
  /** [employeeNo, fever event published (epoch ms)] */
  fevers: [string, number][];
  events: number;
  /** Events whose verdict never came back. */
  noVerdict: number;
  /** Verdicts that said the opposite of the temperature (pass for a fever, or the reverse). */
  wrong: number;
  decisions: number;
}

export type WorkerMessage =
  | { msg: 'connected' }
  | { msg: 'report'; report: WorkerReport }
  | { msg: 'closed' }
  | { msg: 'error'; error: string };

/** Wall-clock ms with sub-ms resolution, comparable across the bench's processes. */
const epoch = () => performance.timeOrigin + performance.now();
const SHANGHAI = 8 * 60;
const NAMES = ['张伟', '李娜', 'Wang Fang', '刘洋', 'Anna Schmidt', 'Ravi Kumar'];

const send = (m: WorkerMessage) => process.send?.(m);

interface Lane {
  index: number;
  gateId: string;
  termId: string;
  gate: MqttClient;
  term: MqttClient;
  serial: number;
  seq: number;
  /** serialNo → [sent at (epoch), temperature tenths] */
  waiting: Map<number, [number, number]>;
  /** The room of the gate's isolation plan, named in a fever decision as the edge does. */
  room: { id: string; name: string } | null;
}

let site = '';
let totalGates = 1;
let feverEvery = 20;
let lanes: Lane[] = [];
let timers: NodeJS.Timeout[] = [];
let report: WorkerReport = { verdicts: [], fevers: [], events: 0, noVerdict: 0, wrong: 0, decisions: 0 };
const startedAt = Date.now();

function gateStatus(gateId: string, online: boolean): string {
  return JSON.stringify({
    v: 1,
    siteId: site,
    gateId,
    online,
    at: online ? Date.now() : 0,
    thermometer: 'online',
    gateState: 'locked',
    softwareVersion: 'bench',
    configVersion: '',
    accessListVersion: null,
    policyVersion: null,
    policyOverrides: [],
    holdsVersion: null,
    listsRejected: [],
    terminalClockOffsetMs: null,
  });
}

function heartbeat(l: Lane): string {
  return JSON.stringify({
    v: 1,
    siteId: site,
    gateId: l.gateId,
    at: Date.now(),
    uptimeS: (Date.now() - startedAt) / 1000,
    thermometer: 'online',
    gateState: 'locked',
    counters: {
      passed: l.seq,
      flagged: 0,
      remeasure: 0,
      denied: 0,
      unpaired: 0,
      offlineRecords: 0,
      staleEvents: 0,
      duplicateEvents: 0,
      badFrames: 0,
      badPayloads: 0,
    },
    outbox: { depth: 0, oldestAgeS: null, freeDiskBytes: null },
    accessListVersion: null,
  });
}

/** What an edge does with its terminal's event (temperature from the terminal, remote check). */
function onEvent(l: Lane, payload: Buffer): void {
  const ev = JSON.parse(payload.toString()) as {
    serialNo: number;
    employeeNoString: string;
    name: string;
    currTemperature: number;
  };
  const tenths = Math.round(ev.currTemperature * 10);
  const fever = tenths >= 373;
  const display = `${(tenths / 10).toFixed(1)}°C`;
  l.gate.publish(
    `face/${l.termId}/verdict`,
    JSON.stringify({
      serialNo: ev.serialNo,
      checkResult: fever ? 'failed' : 'success',
      open: false,
      display,
      lang: 'zh-CN',
    }),
    { qos: 1 },
  );
  const seq = l.seq++;
  const now = Date.now();
  const reading = {
    v: 1,
    id: `${site}:${l.gateId}:${seq}`,
    siteId: site,
    gateId: l.gateId,
    seq,
    at: now,
    recordedAt: now,
    employeeNo: ev.employeeNoString,
    temperatureTenths: tenths,
    rawTenths: tenths,
    offsetTenths: 0,
    ambientTenths: null,
    source: 'terminal',
    sensor: 'terminal',
    sensorSeq: ev.serialNo,
    decision: fever ? 'flagged' : 'pass',
    reason: fever ? 'fever' : 'ok',
    mask: 'yes',
    pairingDelayMs: 0,
    terminalId: l.termId,
    terminalSerialNo: ev.serialNo,
    realtime: true,
    released: !fever,
    enteredBy: null,
    policyVersion: 0,
    thresholdTenths: 373,
  };
  const base = `tg/${site}/gate/${l.gateId}`;
  l.gate.publish(
    `${base}/decision`,
    JSON.stringify({
      v: 1,
      reading,
      name: ev.name,
      display,
      isolationRoom: fever ? (l.room?.id ?? null) : null,
      isolationRoomName: fever ? (l.room?.name ?? null) : null,
    }),
    { qos: 1 },
  );
  l.gate.publish(`${base}/reading`, JSON.stringify(reading), { qos: 1 });
  report.decisions++;
  if (fever)
    l.gate.publish(
      `${base}/alert`,
      JSON.stringify({
        v: 1,
        id: `${reading.id}:fever`,
        siteId: site,
        gateId: l.gateId,
        kind: 'fever',
        severity: 'critical',
        at: now,
        active: true,
        employeeNo: ev.employeeNoString,
        name: ev.name,
        temperatureTenths: tenths,
        readingId: reading.id,
        detail: `体温异常 ${display}`,
      }),
      { qos: 1 },
    );
}

/**
 * Connects like a device that is refused for now (CONNACK "server unavailable": the hub bounds
 * how many password checks run at once) and tries again after a short pause.
 */
async function connectRetrying(url: string, o: IClientOptions): Promise<MqttClient> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await mqtt.connectAsync(url, o);
    } catch (e) {
      if (attempt >= 20) throw e;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 400));
    }
  }
}

async function connectLane(url: string, index: number, password: string): Promise<Lane> {
  const n = String(index).padStart(3, '0');
  const gateId = `gate-${n}`;
  const termId = `term-${n}`;
  const common = { reconnectPeriod: 0, connectTimeout: 30_000, keepalive: 30 };
  const gate = await connectRetrying(url, {
    ...common,
    clientId: `tg-edge-${site}-${gateId}`,
    username: gateId,
    password,
    clean: false,
    will: {
      topic: `tg/${site}/gate/${gateId}/status`,
      payload: Buffer.from(gateStatus(gateId, false)),
      qos: 1,
      retain: true,
    },
  });
  // Nagle off, as the edge's link does (bench/NOTES.md, pipeline).
  (gate.stream as { setNoDelay?: (b: boolean) => void }).setNoDelay?.(true);
  const term = await connectRetrying(url, { ...common, clientId: termId, username: termId, password });
  (term.stream as { setNoDelay?: (b: boolean) => void }).setNoDelay?.(true);
  const l: Lane = { index, gateId, termId, gate, term, serial: 0, seq: 0, waiting: new Map(), room: null };
  gate.on('message', (topic, payload) => {
    if (topic === `face/${termId}/event`) onEvent(l, payload);
    else if (topic === `tg/${site}/gate/${gateId}/isolation`)
      l.room = (JSON.parse(payload.toString()) as { room: { id: string; name: string } | null }).room;
  });
  term.on('message', (_t, payload) => {
    const now = epoch();
    const v = JSON.parse(payload.toString()) as { serialNo: number; checkResult: string };
    const w = l.waiting.get(v.serialNo);
    if (!w) return;
    l.waiting.delete(v.serialNo);
    report.verdicts.push([w[0], now - w[0]]);
    if ((v.checkResult === 'success') !== w[1] < 373) report.wrong++;
  });
  await gate.subscribeAsync(
    [
      `face/${termId}/event`,
      `tg/${site}/gate/${gateId}/command`,
      `tg/${site}/gate/${gateId}/isolation`,
      `tg/${site}/access-list/changes`,
      `tg/${site}/holds/changes`,
      `tg/${site}/policy`,
      `tg/${site}/hub/clock`,
    ],
    { qos: 1 },
  );
  gate.publish(`tg/${site}/gate/${gateId}/status`, gateStatus(gateId, true), { qos: 1, retain: true });
  await term.subscribeAsync(`face/${termId}/verdict`, { qos: 1 });
  term.publish(`face/${termId}/status`, 'online', { qos: 1, retain: true });
  return l;
}

/** One passage: the terminal's realtime event with its own temperature, asking for a verdict. */
function passage(l: Lane): void {
  const serialNo = ++l.serial;
  // The site's passages in time order (the gates are spread over the second by index).
  const k = (serialNo - 1) * totalGates + (l.index - 1);
  const tenths = k % feverEvery === feverEvery - 1 ? 373 + (k % 9) : 360 + (k % 13);
  // Every fever is a different person, so each is a new alert on the guard's feed (the same
  // person again within the episode window would update the existing one).
  const employeeNo = tenths >= 373 ? `F${l.index}-${serialNo}` : `E${10000 + (k % 5000)}`;
  const at = epoch();
  l.waiting.set(serialNo, [at, tenths]);
  report.events++;
  if (tenths >= 373) report.fevers.push([employeeNo, at]);
  l.term.publish(
    `face/${l.termId}/event`,
    JSON.stringify({
      serialNo,
      dateTime: formatIsoWithOffset(Date.now(), SHANGHAI),
      employeeNoString: employeeNo,
      name: NAMES[k % NAMES.length],
      similarity: 0.93,
      mask: 'yes',
      currTemperature: tenths / 10,
      thermometryUnit: 'celsius',
      isAbnomalTemperature: tenths >= 373,
      remoteCheck: true,
      isRealtime: true,
    }),
    { qos: 1 },
  );
}

async function handle(c: WorkerCommand): Promise<void> {
  if (c.cmd === 'connect') {
    site = c.site;
    report = { verdicts: [], fevers: [], events: 0, noVerdict: 0, wrong: 0, decisions: 0 };
    lanes = [];
    // A few at a time: the hub checks passwords with a bounded concurrency.
    for (let i = 0; i < c.gates.length; i += 20)
      lanes.push(
        ...(await Promise.all(c.gates.slice(i, i + 20).map((g) => connectLane(c.url, g, c.password)))),
      );
    send({ msg: 'connected' });
  } else if (c.cmd === 'start') {
    totalGates = c.totalGates;
    feverEvery = c.feverEvery;
    const period = 1000 / c.rate;
    for (const l of lanes) {
      // Spread the gates over the period so they do not publish in lockstep.
      const offset = c.startAt + ((l.index - 1) * period) / c.totalGates - Date.now();
      timers.push(
        setTimeout(
          () => {
            passage(l);
            timers.push(
              setInterval(() => passage(l), period),
              setInterval(
                () => l.gate.publish(`tg/${site}/gate/${l.gateId}/heartbeat`, heartbeat(l)),
                10_000,
              ),
            );
          },
          Math.max(0, offset),
        ),
      );
    }
  } else if (c.cmd === 'stop') {
    for (const t of timers) clearTimeout(t);
    timers = [];
    // In-flight verdicts land (at most 5 s).
    const deadline = Date.now() + 5000;
    while (lanes.some((l) => l.waiting.size > 0) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    report.noVerdict = lanes.reduce((s, l) => s + l.waiting.size, 0);
    send({ msg: 'report', report });
  } else if (c.cmd === 'close') {
    await Promise.all(lanes.flatMap((l) => [l.gate.endAsync(true), l.term.endAsync(true)]));
    lanes = [];
    send({ msg: 'closed' });
  }
}

process.on('message', (c: WorkerCommand) => {
  handle(c).catch((e: unknown) => send({ msg: 'error', error: (e as Error).stack ?? String(e) }));
});
// The parent went away: nothing left to do.
process.on('disconnect', () => process.exit(0));
