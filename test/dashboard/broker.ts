/** An aedes broker on 127.0.0.1 that can be stopped and started again on the same port. */
import net from 'node:net';
import { Aedes } from 'aedes';

export interface TestBroker {
  port: number;
  url: string;
  stop(): Promise<void>;
  /** Starts a fresh broker (no retained messages) on the same port. */
  restart(): Promise<void>;
  /** The running broker (its persistence holds the sessions' subscriptions). */
  aedes(): Aedes;
}

export async function startTestBroker(): Promise<TestBroker> {
  let broker: Aedes;
  let server: net.Server;
  const sockets = new Set<net.Socket>();
  const listen = async (port: number) => {
    broker = await Aedes.createBroker();
    server = net.createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      broker.handle(s);
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    return (server.address() as net.AddressInfo).port;
  };
  const port = await listen(0);
  const stop = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      broker.close(() => server.close(() => r()));
    });
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    stop,
    restart: async () => void (await listen(port)),
    aedes: () => broker,
  };
}
