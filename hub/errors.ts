/**
 * Typed errors of the site hub. Codes are stable: scripts and the dashboard match on them, so a
 * code never changes meaning once shipped; new ones are appended.
 */
import { type CodeOf, codedErrors } from '../kernel/errors.ts';
export const HubErrorCode = {
  /** The configuration file is missing, unreadable or invalid (exit 2). */
  CONFIG_INVALID: 'TG_HUB_CONFIG_INVALID',
  /** Command-line arguments are wrong (exit 2). */
  BAD_ARGS: 'TG_HUB_BAD_ARGS',
  /** The credentials file is unreadable or invalid. */
  CREDENTIALS_INVALID: 'TG_HUB_CREDENTIALS_INVALID',
  /** `device add` for an id that exists, `device revoke` for one that does not ... */
  DEVICE_CONFLICT: 'TG_HUB_DEVICE_CONFLICT',
  /** An access list import was refused; `issues` lists every bad line. Nothing was applied. */
  ACCESS_LIST_INVALID: 'TG_HUB_ACCESS_LIST_INVALID',
  /** Another import holds the access list lock. */
  ACCESS_LIST_LOCKED: 'TG_HUB_ACCESS_LIST_LOCKED',
  /** The persisted access list file is unreadable or invalid. */
  ACCESS_LIST_STORE: 'TG_HUB_ACCESS_LIST_STORE',
  /** A TLS certificate or key file could not be read. */
  TLS_FILES: 'TG_HUB_TLS_FILES',
  /** A listener could not bind (port in use, permission). */
  LISTEN_FAILED: 'TG_HUB_LISTEN_FAILED',
  /** The site store (holds, policy) is unreadable. */
  SITE_STORE: 'TG_HUB_SITE_STORE',
  /** A hold request names a person with no active hold. */
  HOLD_NOT_FOUND: 'TG_HUB_HOLD_NOT_FOUND',
  /** A lift would also clear a fever the requester has not seen (the person was flagged again). */
  HOLD_NEWER_FLAG: 'TG_HUB_HOLD_NEWER_FLAG',
  /** A hold or policy request is malformed. */
  REQUEST_INVALID: 'TG_HUB_REQUEST_INVALID',
  /** A policy edit was made on an outdated version. */
  POLICY_CONFLICT: 'TG_HUB_POLICY_CONFLICT',
  /** The broker database's background checkpoint failed; commits checkpoint again (slower). */
  CHECKPOINT_FAILED: 'TG_HUB_CHECKPOINT_FAILED',
} as const;
export type HubErrorCode = CodeOf<typeof HubErrorCode>;

export interface Issue {
  /** Config key path (`mqtt.port`), CSV line number as text, or '' for the whole input. */
  where: string;
  reason: string;
}

export class HubError extends codedErrors('HubError', HubErrorCode) {
  constructor(
    code: HubErrorCode,
    message: string,
    readonly issues: Issue[] = [],
  ) {
    super(code, message);
  }
}

/** Reason codes of refusals, in logs and per-client counters. */
export const Refusal = {
  AUTH: 'TG_HUB_AUTH_REFUSED',
  CLIENT_ID: 'TG_HUB_CLIENT_ID_REFUSED',
  PUBLISH_ACL: 'TG_HUB_PUBLISH_REFUSED',
  SUBSCRIBE_ACL: 'TG_HUB_SUBSCRIBE_REFUSED',
  PAYLOAD_TOO_LARGE: 'TG_HUB_PAYLOAD_TOO_LARGE',
  RATE_LIMIT: 'TG_HUB_RATE_LIMIT',
  COOLDOWN: 'TG_HUB_COOLDOWN',
  TOO_MANY_CONNECTIONS: 'TG_HUB_TOO_MANY_CONNECTIONS',
  AUTH_THROTTLED: 'TG_HUB_AUTH_THROTTLED',
} as const;
export type Refusal = (typeof Refusal)[keyof typeof Refusal];
