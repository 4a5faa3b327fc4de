/**
 * Typed errors of the byte transports. Codes are stable strings that logs, alerts and tests key on;
 * the message says what to check (path, host, permissions) in words a site technician can act on.
 */
import { type CodeOf, codedErrors } from '../../kernel/errors.ts';
export const TransportErrorCode = {
  /** The tty could not be opened (missing, busy/locked, no permission) or the TCP connect failed. */
  OPEN_FAILED: 'TG_EDGE_TRANSPORT_OPEN_FAILED',
  /** A write was attempted while the link is down. */
  NOT_OPEN: 'TG_EDGE_TRANSPORT_NOT_OPEN',
  /** The OS refused a write (the port vanished under it, the socket broke). */
  WRITE_FAILED: 'TG_EDGE_TRANSPORT_WRITE_FAILED',
  /** The configured port string is neither a tty path nor tcp://host:port. */
  BAD_URL: 'TG_EDGE_TRANSPORT_BAD_URL',
} as const;

export type TransportErrorCode = CodeOf<typeof TransportErrorCode>;

export class TransportError extends codedErrors('TransportError', TransportErrorCode) {}
