/**
 * A tiny test-only gate for the ISAPI terminal (devices.md §5), independent of edge/: it listens
 * for the terminal's pushes, answers each with 200, and for a realtime remoteCheck event PUTs the
 * verdict to the terminal with Digest (a recognised face below 37.3 °C opens). It records what it
 * received. Just enough to drive a scenario lane; the real gate is tested in test/edge.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  buildDigestAuthorization,
  type DigestChallenge,
  encodeRemoteCheck,
  IsapiPath,
  parseDigestChallenge,
  parseIsapiEvent,
  PUSH_OK_BODY,
  readIsapiPush,
} from '../../../protocols/hik-isapi/index.ts';

export interface ReceivedEvent {
  serialNo: number;
  employeeNo: string;
  realtime: boolean;
}

export interface FakeIsapiGate {
  /** Where the terminal pushes: http://127.0.0.1:PORT/isapi/event */
  pushUrl: string;
  received: ReceivedEvent[];
  close(): Promise<void>;
}

export async function startFakeIsapiGate(o: {
  /** The terminal's web address, http://host:port */
  terminal: () => string;
  username?: string;
  password: string;
}): Promise<FakeIsapiGate> {
  const received: ReceivedEvent[] = [];
  let challenge: DigestChallenge | undefined;
  let nc = 0;
  const agent = new http.Agent({ keepAlive: true });

  const put = (body: string, authorize: boolean): Promise<number> =>
    new Promise((resolve, reject) => {
      const url = new URL(IsapiPath.remoteCheck, o.terminal());
      const headers: http.OutgoingHttpHeaders = { 'Content-Type': 'application/json' };
      if (authorize && challenge)
        headers.Authorization = buildDigestAuthorization(challenge, {
          username: o.username ?? 'admin',
          password: o.password,
          method: 'PUT',
          uri: IsapiPath.remoteCheck,
          nc: ++nc,
          cnonce: randomBytes(8).toString('hex'),
        });
      const req = http.request(url, { method: 'PUT', headers, agent }, (res) => {
        res.resume();
        if (res.statusCode === 401) {
          const c = parseDigestChallenge(res.headers['www-authenticate']);
          if (c.ok) {
            challenge = c.value;
            nc = 0;
          }
        }
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });

  const verdict = async (serialNo: number, open: boolean) => {
    const body = encodeRemoteCheck({ serialNo, open, display: open ? '请通行' : '禁止通行' });
    if ((await put(body, true)) === 401) await put(body, true);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(PUSH_OK_BODY);
      const push = readIsapiPush(req.headers['content-type'], Buffer.concat(chunks));
      if (!push.ok || !push.value.eventJson) return;
      const ev = parseIsapiEvent(push.value.eventJson);
      if (!ev.ok || ev.value.kind !== 'face') return;
      const e = ev.value.event;
      received.push({ serialNo: e.serialNo, employeeNo: e.employeeNo, realtime: e.isRealtime });
      if (e.isRealtime && e.remoteCheck) {
        const open = e.employeeNo !== '' && (e.temperatureTenths ?? 0) < 373;
        void verdict(e.serialNo, open).catch(() => {});
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    pushUrl: `http://127.0.0.1:${port}/isapi/event`,
    received,
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
