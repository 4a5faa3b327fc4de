import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptEncoding, InfluxHttp, type StatementResult } from './influx-http.ts';

/**
 * A chunked /query answer as influxd sends it (newline-separated JSON documents), cut into
 * network writes at the byte offsets given: the parser must not care where the cuts fall.
 */
let server: Server | undefined;
const stop = async () => {
  const s = server;
  server = undefined;
  if (s) await new Promise((r) => s.close(r));
};
afterEach(stop);

async function serve(body: Buffer, cuts: number[]): Promise<string> {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', async () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let from = 0;
      for (const to of [...cuts, body.length]) {
        res.write(body.subarray(from, to));
        from = to;
        // Each piece its own read on the client side.
        await new Promise((r) => setImmediate(r));
      }
      res.end();
    });
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const doc = (values: unknown[][], partial: boolean) =>
  `${JSON.stringify({
    results: [
      {
        statement_id: 0,
        series: [
          { name: 'reading_log', tags: { gateId: 'gate-1' }, columns: ['time', 'employeeNo'], values },
        ],
        ...(partial ? { partial: true } : {}),
      },
    ],
  })}\n`;

// Names with multi-byte UTF-8 characters: a cut can fall inside one.
const rows = Array.from({ length: 60 }, (_, i) => [i, `员工${i}`]);
const answer = Buffer.from(
  doc(rows.slice(0, 20), true) + doc(rows.slice(20, 40), true) + doc(rows.slice(40), false),
);

describe('InfluxHttp: a chunked answer', () => {
  it('reads the same series wherever the network cuts the documents', async () => {
    const cutsList = [
      [], // all in one read
      [1, 2, 3], // tiny reads first
      Array.from({ length: Math.floor(answer.length / 7) }, (_, i) => (i + 1) * 7), // every 7 bytes
      [answer.indexOf('\n') + 1, answer.lastIndexOf('员') + 1], // on a line end, inside a character
    ];
    for (const cuts of cutsList) {
      const url = await serve(answer, cuts);
      const http = new InfluxHttp({ url, database: 'x', requestTimeoutMs: 5000 });
      const [r] = (await http.query(['SELECT 1'])) as [StatementResult];
      expect(r.series).toHaveLength(1);
      expect(r.series?.[0]?.values).toEqual(rows);
      await stop();
    }
  });

  it('takes the last document without its newline', async () => {
    const text = answer.toString('utf8').trimEnd();
    const url = await serve(Buffer.from(text), [5]);
    const [r] = (await new InfluxHttp({ url, database: 'x', requestTimeoutMs: 5000 }).query([
      'SELECT 1',
    ])) as [StatementResult];
    expect(r.series?.[0]?.values).toEqual(rows);
  });
});

describe('InfluxHttp: compression', () => {
  it('asks an InfluxDB on this machine for plain answers and a remote one for gzip', () => {
    for (const url of ['http://127.0.0.1:8086', 'http://localhost:8086/', 'http://[::1]:8086'])
      expect(acceptEncoding(url), url).toBe('identity');
    for (const url of ['http://10.0.0.5:8086', 'https://influx.central.example:8086'])
      expect(acceptEncoding(url), url).toMatch(/gzip/);
  });

  it('sends it with the query', async () => {
    let asked: string | undefined;
    server = createServer((req, res) => {
      asked = req.headers['accept-encoding'];
      req.resume();
      res.end(doc([[1, 'E1']], false));
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new InfluxHttp({ url, database: 'x', requestTimeoutMs: 5000 }).query(['SELECT 1']);
    expect(asked).toBe('identity');
  });
});
