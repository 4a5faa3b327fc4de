/**
 * The hub's OPC UA server, loaded only when `opcua.enabled`: importing node-opcua costs about a
 * second and ~130 MB, so nothing here imports it; server.ts (which does) is imported dynamically.
 *
 * Fed in-process from the hub's own broker rather than as an MQTT client: the hub and its OPC UA
 * server live and die together, so a client connection would only add credentials to provision,
 * a loopback hop, reconnect logic and a window of missed messages, for nothing in exchange. The
 * retained state (gate status, the dashboard's alert list) comes from the broker's persistence,
 * like the fleet's seed. It publishes as the hub itself (commands, alert acknowledgements).
 */
import type { Aedes, AedesPublishPacket } from 'aedes';
import type { OpcuaHost, OpcuaServerHandle } from './host.ts';
import type { OpcuaConfig } from './config.ts';

export type { OpcuaHost, OpcuaServerHandle } from './host.ts';

/** subscribe/retained of an OpcuaHost on an aedes broker and its persistence. */
export function brokerTap(
  broker: Aedes,
  persistence: { createRetainedStreamCombi(patterns: string[]): unknown },
): Pick<OpcuaHost, 'subscribe' | 'retained'> {
  return {
    subscribe: (filter, fn) => {
      const handler = (p: AedesPublishPacket, cb: () => void) => {
        fn(p.topic, p.payload as Buffer);
        cb();
      };
      return new Promise((resolve) =>
        broker.subscribe(filter, handler, () =>
          resolve(() => new Promise<void>((r) => broker.unsubscribe(filter, handler, () => r()))),
        ),
      );
    },
    retained: (filters) =>
      persistence.createRetainedStreamCombi(filters) as AsyncIterable<{ topic: string; payload: Buffer }>,
  };
}

export async function startOpcua(config: OpcuaConfig, host: OpcuaHost): Promise<OpcuaServerHandle> {
  const { startOpcuaServer } = await import('./server.ts');
  return startOpcuaServer(config, host);
}
