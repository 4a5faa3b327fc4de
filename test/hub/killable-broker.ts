/**
 * An aedes broker on a given persistence over plain TCP, for the tests of what a hub SIGKILL does
 * to QoS 1 messages (store-before-ack.test.ts, persistence-batch.test.ts): `kill()` cuts every
 * connection with no goodbye and nothing flushed, as the clients see a killed hub.
 */
import net from 'node:net';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import type { SqlitePersistence } from '../../hub/broker/sqlite-persistence.ts';
import { storeBeforeAck } from '../../hub/broker/store-before-ack.ts';
import { silent } from './fixture.ts';

const PUBACK = 0x40;
const allow = (_c: Client | null, _p: PublishPacket, cb: (e?: Error | null) => void) => cb(null);

export async function killableBroker(
  persistence: SqlitePersistence,
  opts: {
    /** The hub's hook that stores a message for persistent sessions before its PUBACK (default on). */
    storeBeforeAck?: boolean;
    /** Called whenever the broker writes a PUBACK to a socket. */
    onPuback?: () => void;
  } = {},
): Promise<{ url: string; persistence: SqlitePersistence; kill: () => void }> {
  const b = await Aedes.createBroker({
    persistence,
    authorizePublish: (opts.storeBeforeAck ?? true) ? storeBeforeAck(allow, persistence, silent) : allow,
  });
  const sockets = new Set<net.Socket>();
  const onPuback = opts.onPuback;
  const server = net.createServer((s) => {
    sockets.add(s);
    if (onPuback) {
      const write = s.write.bind(s) as (...a: unknown[]) => boolean;
      s.write = ((chunk: unknown, ...rest: unknown[]) => {
        if (Buffer.isBuffer(chunk) && chunk[0] === PUBACK) onPuback();
        return write(chunk, ...rest);
      }) as typeof s.write;
    }
    b.handle(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const kill = () => {
    for (const s of sockets) s.destroy();
    server.close();
  };
  return { url, persistence, kill };
}
