/**
 * The verdict must leave for the terminal while the gate is still inside its decision: the gate
 * commits the reading (an fsync) in the same tick, right after asking for the verdict. A terminal
 * in a worker thread (its own event loop) flags each request it receives; the test blocks its own
 * thread right after the call, as the commit does, and waits on that flag: the request can only
 * arrive in that window if it was written within the call.
 */
import { Worker } from 'node:worker_threads';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/harness/wait.ts';
import { IsapiHttpClient } from './http-client.ts';

const TERMINAL = `
const http = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const arrived = new Int32Array(workerData);
const server = http.createServer((req, res) => {
  Atomics.add(arrived, 0, 1);
  Atomics.notify(arrived, 0);
  req.resume();
  req.on('end', () => res.end('{"statusCode":1,"statusString":"OK","subStatusCode":"ok"}'));
});
parentPort.on('message', (m) => {
  if (m === 'drop') { server.closeAllConnections(); parentPort.postMessage('dropped'); }
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

const PATH = '/ISAPI/AccessControl/remoteCheck?format=json';
const BODY = '{"RemoteCheck":{"serialNo":1,"checkResult":"success"}}';

let worker: Worker | undefined;
let client: IsapiHttpClient | undefined;
afterEach(async () => {
  client?.close();
  await worker?.terminate();
});

async function start(): Promise<{ arrived: Int32Array; port: number }> {
  const shared = new SharedArrayBuffer(4);
  worker = new Worker(TERMINAL, { eval: true, workerData: shared });
  const port = await new Promise<number>((r) => worker?.once('message', r));
  return { arrived: new Int32Array(shared), port };
}

const until = (cond: () => boolean, what: string) => waitFor(cond, { what, intervalMs: 5 });

describe('IsapiHttpClient: a prepared request', () => {
  it('is on the wire before the call returns (the caller may block right after)', async () => {
    const { arrived, port } = await start();
    const c = new IsapiHttpClient({
      address: `http://127.0.0.1:${port}`,
      username: 'admin',
      password: 'x',
      log: pino({ level: 'silent' }),
    });
    client = c;
    for (let i = 0; i < 3; i++) {
      c.prepare('PUT', PATH);
      await until(() => c.prepared, 'prepared');
      const seen = Atomics.load(arrived, 0);
      const answer = c.request('PUT', PATH, { body: BODY, deadline: Date.now() + 3000 });
      // The gate's commit, stood in for: this thread does nothing until the terminal has the PUT.
      // 'not-equal': it had arrived before the wait began, sooner still.
      const waited = Atomics.wait(arrived, 0, seen, 5000);
      expect(['ok', 'not-equal']).toContain(waited);
      expect(Atomics.load(arrived, 0)).toBe(seen + 1);
      const r = await answer;
      expect(r.status).toBe(200);
    }
  });

  it('whose connection the terminal closed is not used: the request goes on a fresh one', async () => {
    const { arrived, port } = await start();
    const c = new IsapiHttpClient({
      address: `http://127.0.0.1:${port}`,
      username: 'admin',
      password: 'x',
      log: pino({ level: 'silent' }),
    });
    client = c;
    c.prepare('PUT', PATH);
    await until(() => c.prepared, 'prepared');
    const dropped = new Promise((r) => worker?.once('message', r));
    worker?.postMessage('drop');
    await dropped;
    await until(() => !c.prepared, 'noticed closed');
    const r = await c.request('PUT', PATH, { body: BODY, deadline: Date.now() + 3000 });
    expect(r.status).toBe(200);
    expect(Atomics.load(arrived, 0)).toBe(1);
  });
});
