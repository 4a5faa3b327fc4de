/**
 * Where a simulated thermometer is reachable: a tty path (serial) or a TCP listen address (serial
 * device server mode). One text form for the CLI and scenario files:
 *   `/dev/ttyUSB0`, `serial:/tmp/x/a`, `tcp:127.0.0.1:4001`, `tcp::4001` (all interfaces), `tcp:4001`.
 */
import { DEFAULT_TCP_PORT } from '../protocols/modbus-ir/index.ts';
import { SimError, SimErrorCode } from './errors.ts';

export type Endpoint = { kind: 'serial'; path: string } | { kind: 'tcp'; host: string; port: number };

export function parseTcpAddress(text: string, defaultHost = '127.0.0.1'): { host: string; port: number } {
  const m = /^(?:(.*):)?(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535)
    throw new SimError(SimErrorCode.BAD_ARGS, `expected HOST:PORT or PORT, got ${JSON.stringify(text)}`);
  const host = m[1] === undefined ? defaultHost : m[1] === '' ? '0.0.0.0' : m[1].replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

export function parseEndpoint(text: string): Endpoint {
  if (text.startsWith('tcp:')) return { kind: 'tcp', ...parseTcpAddress(text.slice(4)) };
  if (text.startsWith('serial:')) return { kind: 'serial', path: text.slice(7) };
  if (text.startsWith('/')) return { kind: 'serial', path: text };
  throw new SimError(
    SimErrorCode.BAD_ARGS,
    `endpoint must be a tty path (/dev/ttyUSB0, serial:PATH) or tcp:HOST:PORT, got ${JSON.stringify(text)}`,
  );
}

export function formatEndpoint(e: Endpoint): string {
  return e.kind === 'serial' ? `serial:${e.path}` : `tcp:${e.host}:${e.port}`;
}

export const DEFAULT_ENDPOINT: Endpoint = { kind: 'tcp', host: '127.0.0.1', port: DEFAULT_TCP_PORT };
