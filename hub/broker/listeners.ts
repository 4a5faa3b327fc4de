/**
 * The hub's sockets: plain MQTT over TCP and, when configured, MQTT over TLS (certificate and key
 * read from files at start). Each connection also gets a frame-size guard: aedes buffers a whole
 * packet before any hook sees it, so without the guard one client could make the hub hold a
 * 256 MB "message" in memory before the payload limit refuses it.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { Aedes, Client } from 'aedes';
import { HubError, HubErrorCode } from '../errors.ts';
import type { Logger } from '../log.ts';
import { OncePerTurn } from '../../kernel/turn.ts';

export interface Listening {
  port: number | undefined;
  tlsPort: number | undefined;
  close(): Promise<void>;
}

export interface ListenOptions {
  host: string;
  port: number;
  plaintext: boolean;
  tls?: { host?: string | undefined; port: number; certFile: string; keyFile: string } | undefined;
  /** Largest MQTT packet accepted (payload limit plus room for topic and headers). */
  maxPacketBytes: number;
  /** Each connection's write (and read) buffer before the hub waits for it (limits.socketBufferBytes). */
  socketBufferBytes?: number;
  onOversizedFrame: (clientId: string | null, bytes: number) => void;
  log: Logger;
}

export async function listen(broker: Aedes, o: ListenOptions): Promise<Listening> {
  const sockets = new Set<net.Socket>();
  const onConnection = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // Nagle would add up to 40 ms to every small QoS 1 message and its PUBACK.
    socket.setNoDelay(true);
    coalesceWrites(socket);
    const client = broker.handle(socket);
    guardFrames(client, socket, o);
  };
  const servers: net.Server[] = [];
  let port: number | undefined;
  let tlsPort: number | undefined;
  try {
    if (o.plaintext) {
      const server = net.createServer({ highWaterMark: o.socketBufferBytes }, onConnection);
      port = await bind(server, o.port, o.host);
      servers.push(server);
    }
    if (o.tls) {
      let cert: Buffer;
      let key: Buffer;
      try {
        cert = readFileSync(o.tls.certFile);
        key = readFileSync(o.tls.keyFile);
      } catch (e) {
        throw new HubError(
          HubErrorCode.TLS_FILES,
          `${(e as NodeJS.ErrnoException).path ?? ''}: ${(e as Error).message}`,
        );
      }
      const server = tls.createServer(
        { cert, key, minVersion: 'TLSv1.2', highWaterMark: o.socketBufferBytes },
        onConnection,
      );
      server.on('tlsClientError', (err) => o.log.warn({ err: err.message }, 'TLS handshake failed'));
      tlsPort = await bind(server, o.tls.port, o.tls.host ?? o.host);
      servers.push(server);
    }
  } catch (e) {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    throw e;
  }
  return {
    port,
    tlsPort,
    async close() {
      const closed = Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

/**
 * At most two writes per connection per turn of the event loop, not one per packet. mqtt-packet
 * corks the socket for each packet it writes and uncorks it on the next tick, and aedes delivers
 * each message from a callback of its own, so a client sent many messages in one turn (the
 * dashboard: every decision, alert and heartbeat of the site) cost the hub a `writev` syscall per
 * message (bench/NOTES.md § Scale). Here the first packet of a turn leaves as before, on its own
 * tick (a gate or a terminal, a packet or two a second, sees no change); from the second on, the
 * socket stays corked until the end of the turn (setImmediate) and they leave together. Nothing
 * waits longer than that turn. Relies on mqtt-packet's cork per packet; without it nothing is held.
 */
const heldSockets = new Set<Coalesced>();
const endOfTurn = new OncePerTurn(() => {
  const held = [...heldSockets];
  heldSockets.clear();
  for (const c of held) c.release();
});

interface Coalesced {
  release(): void;
}

export function coalesceWrites(socket: net.Socket): void {
  const cork = socket.cork.bind(socket);
  let packets = 0;
  let held = false;
  const c: Coalesced = {
    release() {
      packets = 0;
      if (held) {
        held = false;
        socket.uncork();
      }
    },
  };
  socket.cork = () => {
    if (packets++ === 0) {
      heldSockets.add(c);
      endOfTurn.request();
    } else if (!held) {
      held = true;
      cork();
    }
    cork();
  };
}

function bind(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (e) =>
      reject(new HubError(HubErrorCode.LISTEN_FAILED, `${host}:${port}: ${(e as Error).message}`)),
    );
    server.listen(port, host, () => resolve((server.address() as net.AddressInfo).port));
  });
}

/**
 * Hooks the client's packet parser (mqtt-packet) right after it has read a packet's length and
 * before it buffers the body. If the parser ever changes shape the guard switches itself off and
 * says so once; the payload limit in the authorizePublish hook still applies.
 */
let warnedNoGuard = false;
function guardFrames(client: Client, socket: net.Socket, o: ListenOptions): void {
  const parser = (
    client as unknown as { _parser?: { _parseLength?: () => boolean; packet?: { length?: number } } }
  )._parser;
  const original = parser?._parseLength;
  if (!parser || typeof original !== 'function') {
    if (!warnedNoGuard)
      o.log.warn('frame size guard unavailable with this aedes version; payload limit still applies');
    warnedNoGuard = true;
    return;
  }
  parser._parseLength = function guarded(this: typeof parser) {
    const done = original.call(this);
    const length = this?.packet?.length ?? -1;
    if (done && length > o.maxPacketBytes) {
      o.onOversizedFrame(client.id ?? null, length);
      socket.destroy();
      return false;
    }
    return done;
  };
}
