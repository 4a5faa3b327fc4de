/**
 * An ISAPI terminal's event to its verdict, on loopback (devices.md §5): the real edge daemon
 * (`edge/cli.ts` in its own process, as `npm run edge` runs it: listener, gate, SQLite outbox with
 * its fsync per reading, Digest client), a stub terminal's web server that challenges once
 * (Digest) and then takes every remoteCheck, and a pusher that POSTs multipart events with a
 * 24 KiB picture over a kept-alive connection, one at a time.
 *   push written by the terminal → remoteCheck PUT arrives at the terminal
 * This bounds "event received → PUT sent" from above (two loopback hops included). The terminal
 * measures the person itself (temperatureSource: terminal), so no pairing wait is in the figure.
 * The edge runs in a process of its own so that the stub sees the PUT when the edge writes it, not
 * when the edge's event loop is next free (in one process the figure would include the edge's
 * outbox commit whatever the edge did first). Target: p99 < 5 ms.
 *
 * BENCH_EVENTS (2000) events per round, BENCH_ROUNDS (3) rounds after a warm-up round.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { type AddressInfo, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildDigestChallenge,
  encodeDeviceInfoXml,
  encodeIsapiEvent,
  encodeMultipartPush,
  parseRemoteCheck,
} from '../protocols/hik-isapi/index.ts';
import { spawnTs, writeEdgeConfig } from './lib/edges.ts';
import { emitResult } from './lib/result.ts';
import { median, summarize, table } from './stats.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** The edge's listener accepts connections (the gate is up). */
async function waitListening(port: number, edge: ReturnType<typeof spawnTs>): Promise<void> {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    if (!edge.alive()) throw new Error(`the edge exited during start:\n${edge.output()}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the edge's listener on ${port} did not come up in 60 s:\n${edge.output()}`);
}

async function round(): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-bench-isapi-'));
  const arrived = new Map<number, bigint>();
  let challenged = false;
  const stub = http.createServer((req, res) => {
    const at = process.hrtime.bigint();
    if (!challenged || !req.headers.authorization) {
      challenged = true;
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': buildDigestChallenge({ realm: 'bench', nonce: 'n0nce' }) });
      res.end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.url?.startsWith('/ISAPI/System/deviceInfo')) {
        res.end(
          encodeDeviceInfoXml({
            deviceName: 'b',
            model: 'M',
            serialNumber: 'S',
            firmwareVersion: 'F',
            macAddress: '',
          }),
        );
        return;
      }
      const r = parseRemoteCheck(Buffer.concat(chunks));
      if (r.ok) arrived.set(r.value.RemoteCheck.serialNo, at);
      res.end('{"statusCode":1,"statusString":"OK","subStatusCode":"ok"}');
    });
  });
  await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
  const stubPort = (stub.address() as AddressInfo).port;
  const listenPort = await new Promise<number>((resolve) => {
    const s = http.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const cfgFile = writeEdgeConfig(dir, {
    siteId: 'bench',
    gateId: 'gate-1',
    dataDir: dir,
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    thermometer: { protocol: 'none' },
    terminal: {
      protocol: 'hik-isapi',
      deviceId: 'T1',
      address: `http://127.0.0.1:${stubPort}`,
      temperatureSource: 'terminal',
      listen: { host: '127.0.0.1', port: listenPort },
      healthIntervalMs: 600_000,
    },
    policy: { accessListRequired: false },
    turnstile: { drive: 'verdict' },
    storage: { sink: { kind: 'none' }, outboxCapacity: 10_000_000 },
    logLevel: 'error',
  });
  // The password from the environment, as a gate may have it (never in the file).
  process.env.TG_EDGE__TERMINAL__PASSWORD = 'bench';
  const edge = spawnTs('edge/cli.ts', ['--config', cfgFile]);
  await waitListening(listenPort, edge);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const picture = Buffer.alloc(24 * 1024, 0xa5);
  const samples: number[] = [];
  const offset = Date.now() % 1_000_000;
  for (let i = 1; i <= EVENTS; i++) {
    const serialNo = offset * 10_000 + i;
    const json = encodeIsapiEvent({
      ipAddress: '127.0.0.1',
      macAddress: '',
      dateTime: new Date(Date.now() + 8 * 3600_000).toISOString().replace('Z', '+08:00'),
      activePostCount: 1,
      deviceName: 'bench',
      majorEventType: 5,
      subEventType: 75,
      serialNo,
      employeeNoString: 'E1',
      name: 'x',
      mask: 'yes',
      currTemperature: 36.5,
      remoteCheck: true,
      picturesNumber: 1,
    });
    const body = encodeMultipartPush({ boundary: 'MIME_boundary', partName: 'event_log', json, picture });
    const t0 = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: listenPort,
          path: '/isapi/event',
          method: 'POST',
          agent,
          headers: {
            'Content-Type': 'multipart/form-data; boundary=MIME_boundary',
            'Content-Length': body.length,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve());
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    const deadline = Date.now() + 3000;
    while (!arrived.has(serialNo) && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    const at = arrived.get(serialNo);
    if (at === undefined) throw new Error(`no remoteCheck for serialNo ${serialNo}`);
    samples.push(Number(at - t0) / 1e6);
  }
  agent.destroy();
  await edge.stop();
  if (edge.output().trim()) process.stderr.write(`isapi bench: edge said:\n${edge.output().slice(-2000)}\n`);
  await new Promise<void>((r) => stub.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
  return samples;
}

async function main(): Promise<void> {
  const p50: number[] = [];
  const p99: number[] = [];
  let n = 0;
  await round(); // warm-up: JIT, sockets, SQLite
  for (let r = 0; r < ROUNDS; r++) {
    const s = summarize(await round());
    p50.push(s.p50);
    p99.push(s.p99);
    n += s.n;
    process.stderr.write(`isapi bench: round ${r + 1}/${ROUNDS} done\n`);
  }
  const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
  const name = 'ISAPI push written → remoteCheck PUT at the terminal (loopback)';
  process.stdout.write(`\n## ISAPI terminal (${EVENTS} events × ${ROUNDS} rounds, median of rounds)\n\n`);
  process.stdout.write(
    `${table(['path', 'p50', 'p99', 'target p99', 'met'], [[name, fmt(median(p50)), fmt(median(p99)), '< 5 ms', median(p99) < 5 ? 'yes' : 'NO']])}\n\n`,
  );
  emitResult({
    bench: 'isapi',
    figures: { events: EVENTS, rounds: ROUNDS, p50ms: p50, p99ms: p99, n },
    targets: [
      {
        figure: `isapi: ${name}, p99`,
        value: `${fmt(median(p99))} (p50 ${fmt(median(p50))})`,
        target: '< 5 ms',
        met: median(p99) < 5,
      },
    ],
  });
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
