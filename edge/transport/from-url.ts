/**
 * Builds the transport a config string names: a tty path (`/dev/ttyUSB0`) or a serial device server
 * (`tcp://host:port`, port 4001 when omitted). Anything else is refused with a message that shows
 * both accepted forms, at start-up rather than at the first poll.
 */
import { TransportError, TransportErrorCode as C } from './errors.ts';
import { SerialTransport } from './serial-transport.ts';
import { DEFAULT_DEVICE_SERVER_PORT, TcpTransport } from './tcp-transport.ts';
import type { ByteTransport } from './types.ts';

export type TransportAddress = { kind: 'serial'; path: string } | { kind: 'tcp'; host: string; port: number };

export interface TransportFromUrlOptions {
  /** Serial only; a device server has its own line settings. */
  baudRate?: number;
  /** Serial only: exclusive tty lock (default true). */
  lock?: boolean;
  /** TCP only. */
  connectTimeoutMs?: number;
}

const FORMS = 'expected a tty path such as /dev/ttyUSB0, or tcp://host:port';

export function parseTransportUrl(spec: string): TransportAddress {
  const s = spec.trim();
  if (s.length === 0) throw new TransportError(C.BAD_URL, `empty port: ${FORMS}`);
  if (!s.includes('://')) {
    if (!s.startsWith('/'))
      throw new TransportError(C.BAD_URL, `"${spec}" is not an absolute path: ${FORMS}`);
    return { kind: 'serial', path: s };
  }
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw new TransportError(C.BAD_URL, `"${spec}" is not a valid URL: ${FORMS}`);
  }
  if (url.protocol !== 'tcp:')
    throw new TransportError(C.BAD_URL, `unsupported scheme "${url.protocol}" in "${spec}": ${FORMS}`);
  if (!url.hostname) throw new TransportError(C.BAD_URL, `no host in "${spec}": ${FORMS}`);
  if ((url.pathname && url.pathname !== '/') || url.search || url.username)
    throw new TransportError(C.BAD_URL, `"${spec}" has extra parts: ${FORMS}`);
  const port = url.port ? Number(url.port) : DEFAULT_DEVICE_SERVER_PORT;
  // URL keeps the brackets of an IPv6 literal; net.connect wants them off.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { kind: 'tcp', host, port };
}

export function transportFromUrl(spec: string, opts: TransportFromUrlOptions = {}): ByteTransport {
  const a = parseTransportUrl(spec);
  if (a.kind === 'serial')
    return new SerialTransport({ path: a.path, baudRate: opts.baudRate, lock: opts.lock });
  return new TcpTransport({ host: a.host, port: a.port, connectTimeoutMs: opts.connectTimeoutMs });
}
