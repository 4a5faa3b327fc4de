/** What the OPC UA server gets from the hub (its own file: server.ts and index.ts both need it). */
import type { FleetSnapshot } from '../../protocols/hub/fleet.ts';
import type { Logger } from '../log.ts';

export interface OpcuaHost {
  siteId: string;
  timeZone: string;
  persistenceDir: string;
  softwareVersion: string;
  log: Logger;
  now: () => number;
  publish(topic: string, payload: string, opts: { qos: 0 | 1; retain?: boolean }): Promise<void>;
  /** In-process subscription on the hub's broker; resolves to its unsubscribe. */
  subscribe(filter: string, fn: (topic: string, payload: Buffer) => void): Promise<() => Promise<void>>;
  /** The broker's retained messages matching the filters. */
  retained(filters: string[]): AsyncIterable<{ topic: string; payload: Buffer }>;
  fleet: { snapshot(): FleetSnapshot; onChange(fn: (s: FleetSnapshot) => void): () => void };
}

export interface OpcuaServerHandle {
  /** opc.tcp://host:port (the port actually bound, also with port 0). */
  readonly endpointUrl: string;
  close(): Promise<void>;
}
