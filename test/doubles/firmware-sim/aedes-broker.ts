/**
 * An in-process MQTT broker (aedes) for tests, restartable on the same port so a client sees the
 * broker "come back" exactly as after a site network outage.
 */
import net from 'node:net';
import { Aedes } from 'aedes';

export interface TestBroker {
  readonly port: number;
  readonly url: string;
  readonly aedes: Aedes;
  /** Closes every client connection and the listener. */
  close(): Promise<void>;
}

export async function startBroker(port = 0): Promise<TestBroker> {
  const aedes = await Aedes.createBroker();
  const server = net.createServer(aedes.handle);
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(port, '127.0.0.1', () => res());
  });
  const actual = (server.address() as net.AddressInfo).port;
  return {
    port: actual,
    url: `mqtt://127.0.0.1:${actual}`,
    aedes,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => aedes.close(() => r()));
    },
  };
}
