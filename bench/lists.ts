/**
 * 50,000 people: HR's access list (and the person holds) at campus size.
 *
 * 1. Distribution: the hub (site/cli.ts) holds an access list of --people entries; --gates
 *    simulated gates (MQTT clients with their own credentials and persistent sessions, as
 *    bench/scale.ts) are up to date and subscribed as the edge is (the changes topics; the
 *    snapshot only when fetching it, edge/mqtt/link.ts). HR imports the list again with one person
 *    added and one removed (the CLI's way: AccessListStore.importCsv on the hub's file, which the
 *    running hub picks up at its next poll, every 2 s by default). Figure: import written → every
 *    gate has the change. Then a dashboard opens a person hold (the hold request topic): request
 *    → every gate has the holds change. Sizes: the change message against the retained snapshot.
 *    A gate that was away (a new session, no copy) catches up from the retained snapshot: time to
 *    receive and validate it.
 * 2. A gate starting with its persisted lists of --people entries each (access list and holds),
 *    in a child process (bench/support/list-load.ts, the edge's node flags): load time, and the
 *    memory it holds them in (resident and V8 heap, after a full GC, before and after).
 *
 *   npx tsx bench/lists.ts [--people 50000] [--gates 1000] [--runs 3]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { EDGE_NODE_FLAGS } from '../deploy/build-edge.ts';
import { AccessListStore } from '../hub/access-list/store.ts';
import { type AccessEntry, AccessListSnapshot } from '../protocols/gate/access-list.ts';
import { parsePayload } from '../protocols/parse.ts';
import type { PersonHold } from '../protocols/site/holds.ts';
import { AccessList } from '../edge/core/access-list.ts';
import { SiteHolds } from '../edge/core/holds.ts';
import { BENCH_PASSWORD, siteDevices, startHub } from './lib/hub.ts';
import { CpuMeter, rssMiB } from './lib/procfs.ts';
import { emitResult, fmt, say, type Target } from './lib/result.ts';
import { median, table } from './stats.ts';

const { values: args } = parseArgs({
  options: {
    people: { type: 'string', default: '50000' },
    gates: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '3' },
  },
});
const PEOPLE = Number(args.people);
const GATES = Number(args.gates);
const RUNS = Number(args.runs);
const SITE = 'bench';
const ROOT = resolve(import.meta.dirname, '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DEPTS = ['SMT', 'Assembly', 'QA', 'Warehouse', 'Canteen', 'Logistics', 'R&D', 'HR'];

function csv(people: number, skip = -1, extra = -1): Buffer {
  const lines = ['employeeNo,name,department,kind,validFrom,validUntil'];
  for (let i = 0; i < people; i++)
    if (i !== skip) lines.push(`E${10000 + i},员工${i},${DEPTS[i % DEPTS.length]},employee,,`);
  if (extra >= 0) lines.push(`E${10000 + extra},新员工${extra},QA,employee,,`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

interface Delivery {
  ms: number;
  changeBytes: number;
  received: number;
}

async function distribution() {
  const devices = [...siteDevices(SITE, GATES + 1)];
  const gateIds = devices.filter((d) => d.role === 'gate').map((d) => d.id);
  const awayId = gateIds.pop() as string;
  say(`lists: hub, access list of ${fmt(PEOPLE)} people…`);
  const hub = await startHub(SITE, devices);
  const store = new AccessListStore(join(hub.dir, 'data', 'access-list.json'));
  const clients: MqttClient[] = [];
  try {
    const first = store.importCsv(csv(PEOPLE), { timeZone: 'Asia/Shanghai' });
    const snapshotBytes = statSync(store.path).size;
    // Up-to-date gates: subscribed to the changes (the edge fetches the snapshot only when it has none).
    const got = { access: new Map<string, number>(), holds: new Map<string, number>() };
    let accessBytes = 0;
    let holdsBytes = 0;
    let tChange = 0;
    let tHold = 0;
    let accessDone = Number.NaN;
    let holdsDone = Number.NaN;
    const tc = performance.now();
    for (const id of gateIds) {
      const c = await mqtt.connectAsync(hub.url, {
        clientId: `tg-edge-${SITE}-${id}`,
        username: id,
        password: BENCH_PASSWORD,
        clean: false,
        reconnectPeriod: 0,
        connectTimeout: 30_000,
      });
      c.on('message', (topic, payload) => {
        const now = performance.now();
        if (topic.endsWith('/access-list/changes')) {
          accessBytes = payload.length;
          got.access.set(id, now);
          if (got.access.size === gateIds.length) accessDone = now - tChange;
        } else if (topic.endsWith('/holds/changes')) {
          holdsBytes = payload.length;
          got.holds.set(id, now);
          if (got.holds.size === gateIds.length) holdsDone = now - tHold;
        }
      });
      await c.subscribeAsync([`tg/${SITE}/access-list/changes`, `tg/${SITE}/holds/changes`], { qos: 1 });
      clients.push(c);
    }
    say(`lists: ${fmt(gateIds.length)} gates subscribed in ${fmt((performance.now() - tc) / 1000, 1)} s`);
    // The hub publishes version 1 at its next poll; wait until it has (retained snapshot there).
    const watcher = await mqtt.connectAsync(hub.url, {
      username: 'observer',
      password: BENCH_PASSWORD,
      clientId: 'observer',
      reconnectPeriod: 0,
    });
    clients.push(watcher);
    const v1 = new Promise<void>((ok) =>
      watcher.on('message', (t, p) => {
        if (t.endsWith('/access-list') && p.length > 0) ok();
      }),
    );
    await watcher.subscribeAsync(`tg/${SITE}/access-list`, { qos: 1 });
    await Promise.race([v1, sleep(30_000)]);
    await watcher.unsubscribeAsync(`tg/${SITE}/access-list`);
    const replies: string[] = [];
    watcher.on('message', (t, p) => {
      if (t.endsWith('/hub/reply')) replies.push(p.toString());
    });
    await watcher.subscribeAsync(`tg/${SITE}/hub/reply`, { qos: 1 });

    const cpu = new CpuMeter([hub.pid]);
    say('lists: HR imports the list with one person added and one removed…');
    tChange = performance.now();
    const second = store.importCsv(csv(PEOPLE, 0, PEOPLE), { timeZone: 'Asia/Shanghai' });
    for (let i = 0; i < 300 && Number.isNaN(accessDone); i++) await sleep(50);
    const openHold = (n: number) =>
      watcher.publish(
        `tg/${SITE}/dashboard/hold-request`,
        JSON.stringify({
          v: 1,
          id: `bench-hold-${n}`,
          at: Date.now(),
          by: 'dashboard:bench',
          employeeNo: `E${10000 + n}`,
          action: 'open',
          name: 'bench',
          note: '',
        }),
        { qos: 1 },
      );
    // The site's first hold is version 1, a snapshot with no change before it (gates fetch it);
    // the gates are taken to hold it, and the second hold is measured.
    openHold(1);
    for (let i = 0; i < 200 && replies.length < 1; i++) await sleep(50);
    say('lists: a dashboard opens a hold…');
    tHold = performance.now();
    openHold(2);
    for (let i = 0; i < 300 && Number.isNaN(holdsDone); i++) await sleep(50);
    const hubCpu = cpu.percent();
    const hubRss = rssMiB(hub.pid);

    // A gate that was away (no copy, new session): the retained snapshot, received and validated.
    const away = await mqtt.connectAsync(hub.url, {
      clientId: `tg-edge-${SITE}-${awayId}`,
      username: awayId,
      password: BENCH_PASSWORD,
      clean: true,
      reconnectPeriod: 0,
    });
    clients.push(away);
    const tAway = performance.now();
    let awayMs = Number.NaN;
    let awayVersion = -1;
    const caught = new Promise<void>((ok) =>
      away.on('message', (_t, p) => {
        const r = parsePayload(AccessListSnapshot, p, 32 * 1024 * 1024);
        awayMs = performance.now() - tAway;
        awayVersion = r.ok ? r.value.version : -1;
        ok();
      }),
    );
    await away.subscribeAsync(`tg/${SITE}/access-list`, { qos: 1 });
    await Promise.race([caught, sleep(30_000)]);
    return {
      gates: gateIds.length,
      people: PEOPLE,
      versions: [first.version, second.version],
      snapshotBytes,
      access: { ms: accessDone, changeBytes: accessBytes, received: got.access.size } satisfies Delivery,
      holds: { ms: holdsDone, changeBytes: holdsBytes, received: got.holds.size } satisfies Delivery,
      holdReplies: replies,
      away: { ms: awayMs, version: awayVersion },
      hubCpuPct: hubCpu,
      hubRssMiB: hubRss,
    };
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await hub.stop();
    rmSync(hub.dir, { recursive: true, force: true });
  }
}

interface Load {
  loadMs: number;
  loadCpuMs: number;
  accessListMs: number;
  accessRssDeltaMB: number;
  accessHeapDeltaMB: number;
  accessEntries: number;
  holdEntries: number;
  rssDeltaMB: number;
  heapDeltaMB: number;
  rssAfterMB: number;
  copies: string[];
}

/**
 * The persisted lists a gate of this site holds: PEOPLE access entries and PEOPLE holds (one in
 * ten active), written by the gate's own code (stamped, as a gate keeps them) into `gate/`, and as
 * an older version wrote them (whole entries, no stamp) into `unstamped/`: a start after an upgrade,
 * or with a file whose stamp does not match, validates every entry.
 */
function writeGateLists(dir: string): { accessBytes: number; holdsBytes: number } {
  const now = Date.now();
  const entries: AccessEntry[] = Array.from({ length: PEOPLE }, (_, i) => ({
    employeeNo: `E${10000 + i}`,
    name: `员工${i}`,
    department: DEPTS[i % DEPTS.length] as string,
    kind: 'employee',
    validFrom: null,
    validUntil: null,
  }));
  const holds: PersonHold[] = Array.from({ length: PEOPLE }, (_, i) => ({
    employeeNo: `E${10000 + i}`,
    name: `员工${i}`,
    state: i % 10 === 0 ? 'active' : 'lifted',
    stage: 'fever',
    since: now - 86_400_000,
    updatedAt: now,
    gateId: `gate-${String((i % 1000) + 1).padStart(3, '0')}`,
    temperatureTenths: 381,
    readingIds: [`${SITE}:gate-001:${1_700_000_000_000 + i}`],
    room: null,
    by: 'hub',
    note: '',
    liftedAt: i % 10 === 0 ? null : now,
    liftedBy: i % 10 === 0 ? null : 'dashboard:hr',
    liftReason: i % 10 === 0 ? null : 'recheck-normal',
    returnDate: null,
  }));
  const a = { v: 1, version: 7, issuedAt: now, entries } as const;
  const h = { v: 1, version: 9, issuedAt: now, entries: holds } as const;
  const old = join(dir, 'unstamped');
  mkdirSync(old, { recursive: true });
  writeFileSync(join(old, 'access-list.json'), JSON.stringify(a));
  writeFileSync(join(old, 'holds.json'), JSON.stringify(h));
  const gate = join(dir, 'gate');
  mkdirSync(gate, { recursive: true });
  new AccessList(join(gate, 'access-list.json')).apply(a);
  new SiteHolds(join(gate, 'holds.json'), undefined, 3600_000).apply(h);
  return {
    accessBytes: statSync(join(gate, 'access-list.json')).size,
    holdsBytes: statSync(join(gate, 'holds.json')).size,
  };
}

function gateLoad(dir: string): Load {
  const r = spawnSync(
    process.execPath,
    [
      ...EDGE_NODE_FLAGS,
      '--expose-gc',
      '--import',
      import.meta.resolve('tsx'),
      join(ROOT, 'bench', 'support', 'list-load.ts'),
      dir,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (r.status !== 0) throw new Error(`list-load failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as Load;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-bench-lists-'));
  try {
    const sizes = writeGateLists(dir);
    const loads: Load[] = [];
    for (let r = 0; r < RUNS; r++) loads.push(gateLoad(join(dir, 'gate')));
    if (loads.some((l) => l.copies.join() !== 'trusted,trusted'))
      throw new Error(
        `the gate's own lists did not load as trusted: ${loads.map((l) => l.copies.join()).join('; ')}`,
      );
    // Once, as information: the same lists written by an older version, validated in full.
    const full = gateLoad(join(dir, 'unstamped'));
    const d = await distribution();
    const loadMs = median(loads.map((l) => l.loadMs));
    const rssDelta = median(loads.map((l) => l.rssDeltaMB));
    const heapDelta = median(loads.map((l) => l.heapDeltaMB));
    const held = Math.max(rssDelta, heapDelta);
    const out = [
      `## 50,000 people: the access list and the holds\n`,
      `The hub with ${fmt(d.gates)} simulated gates (own credentials, persistent sessions, subscribed to the list changes as the edge is; the snapshot is fetched only when a gate needs it). An access list of ${fmt(d.people)} people (version ${d.versions[0]}) re-imported by HR with one person added and one removed (version ${d.versions[1]}; the running hub picks up a CLI import at its next poll, every 2 s), then a dashboard opens one person hold. Time until every gate has the change; hub CPU over both.\n`,
      table(
        [
          'list',
          'change → every gate s',
          'gates reached',
          'change message bytes',
          'snapshot bytes',
          'hub CPU %',
          'hub RSS MiB',
        ],
        [
          [
            'access list',
            fmt(d.access.ms / 1000, 2),
            `${fmt(d.access.received)} / ${fmt(d.gates)}`,
            fmt(d.access.changeBytes),
            fmt(d.snapshotBytes),
            fmt(d.hubCpuPct),
            fmt(d.hubRssMiB),
          ],
          [
            'holds (one hold opened)',
            fmt(d.holds.ms / 1000, 2),
            `${fmt(d.holds.received)} / ${fmt(d.gates)}`,
            fmt(d.holds.changeBytes),
            '(small: one hold)',
            '',
            '',
          ],
        ],
      ),
      '',
      `A gate that was away (new session, no copy) caught up from the retained snapshot (${fmt(d.snapshotBytes / 1e6, 1)} MB) in ${fmt(d.away.ms)} ms (received and validated; version ${d.away.version}).\n`,
      `A gate starting with its persisted lists (${fmt(PEOPLE)} access entries, ${fmt(sizes.accessBytes / 1e6, 1)} MB, and ${fmt(PEOPLE)} holds, ${fmt(sizes.holdsBytes / 1e6, 1)} MB: far more holds than a site has, a worst case), in its own process with the edge's node flags (\`${EDGE_NODE_FLAGS.join(' ')}\`, under tsx), ${RUNS} runs:\n`,
      table(
        [
          'run',
          'load both ms',
          'CPU ms',
          'access list alone ms',
          'RSS / heap delta, both MB',
          'RSS / heap delta, access list alone MB',
          'RSS after MB',
        ],
        loads.map((l, i) => [
          String(i + 1),
          fmt(l.loadMs),
          fmt(l.loadCpuMs),
          fmt(l.accessListMs),
          `${fmt(l.rssDeltaMB, 1)} / ${fmt(l.heapDeltaMB, 1)}`,
          `${fmt(l.accessRssDeltaMB, 1)} / ${fmt(l.accessHeapDeltaMB, 1)}`,
          fmt(l.rssAfterMB, 1),
        ]),
      ),
      '',
      `The same lists as an older version wrote them (whole entries, no integrity stamp: what a start after the upgrade, or with a torn or corrupted file, sees), validated entry by entry once: ${fmt(full.loadMs)} ms for both (CPU ${fmt(full.loadCpuMs)} ms) (access list ${fmt(full.accessListMs)} ms), then rewritten stamped.\n`,
    ];
    const targets: Target[] = [
      {
        figure: `access list of ${fmt(PEOPLE)}: a change reaches ${fmt(d.gates)} gates (from HR's import, incl. the hub's 2 s poll)`,
        value: `${fmt(d.access.ms / 1000, 2)} s; ${fmt(d.access.changeBytes)} B change vs ${fmt(d.snapshotBytes)} B snapshot`,
        target: '< 5 s, only the change travels',
        met:
          d.access.ms < 5000 && d.access.received === d.gates && d.access.changeBytes < d.snapshotBytes / 100,
      },
      {
        figure: `holds: a hold opened reaches ${fmt(d.gates)} gates`,
        value: `${fmt(d.holds.ms / 1000, 2)} s`,
        target: '< 5 s',
        met: d.holds.ms < 5000 && d.holds.received === d.gates,
      },
      {
        figure: `a gate starts with ${fmt(PEOPLE)}-entry access list + ${fmt(PEOPLE)} holds persisted`,
        value: `${fmt(loadMs)} ms (CPU ${fmt(median(loads.map((l) => l.loadCpuMs)))} ms)`,
        target: '< 1 s',
        met: loadMs < 1000,
      },
      {
        figure: `a gate starts with the ${fmt(PEOPLE)}-entry access list alone: load; memory (max of RSS and heap delta)`,
        value: `${fmt(median(loads.map((l) => l.accessListMs)))} ms; ${fmt(Math.max(median(loads.map((l) => l.accessRssDeltaMB)), median(loads.map((l) => l.accessHeapDeltaMB))), 1)} MB`,
        target: '< 1 s; < 20 MB',
        met:
          median(loads.map((l) => l.accessListMs)) < 1000 &&
          Math.max(
            median(loads.map((l) => l.accessRssDeltaMB)),
            median(loads.map((l) => l.accessHeapDeltaMB)),
          ) < 20,
      },
      {
        figure: `memory holding both lists (max of RSS and heap delta)`,
        value: `${fmt(held, 1)} MB (RSS ${fmt(rssDelta, 1)}, heap ${fmt(heapDelta, 1)})`,
        target: '< 20 MB',
        met: held < 20,
      },
    ];
    process.stdout.write(`${out.join('\n')}\n`);
    emitResult({
      bench: 'lists',
      figures: { distribution: d, gateLoad: loads, gateLoadValidated: full, persisted: sizes },
      targets,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`lists bench failed: ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
