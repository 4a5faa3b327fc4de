/**
 * Persistent MQTT sessions do not outlive their devices.
 *
 * A client that connects with clean session = 0 and never comes back (a gate PC replaced, a
 * terminal renamed, a test client) keeps its subscriptions, and every QoS 1 message on them is
 * queued for it on disk, for ever. Two ways out:
 *
 * - **Expiry**: a session whose client has not been connected for `limits.sessionExpiryDays` is
 *   dropped with its subscriptions and queued messages (checked by `sweep()`, which the hub's tick
 *   calls; it does the work at most every `everyMs`). Connected clients never expire; the idle
 *   time of a client that was connected when the hub died starts at the next start.
 * - **Revocation**: when the credentials file changes, every session whose client id no longer
 *   belongs to an active device (revoked or removed) is dropped at once (`purgeRevoked()`), so a
 *   revoked device's queue does not wait out the expiry (and is not read by whoever gets the id next).
 */
import { clientIdAllowed } from '../auth/acl.ts';
import type { CredentialsStore } from '../auth/credentials.ts';
import type { Logger } from '../log.ts';
import type { PurgedSession, SqlitePersistence } from './sqlite-persistence.ts';

export interface SessionExpiryOptions {
  persistence: SqlitePersistence;
  credentials: CredentialsStore;
  /** Sessions idle longer than this are dropped. */
  expiryMs: number;
  /** Is a client with this id connected now? (the broker's view) */
  isConnected: (clientId: string) => boolean;
  log: Logger;
  now?: () => number;
  /** How often sweep() really looks (default a minute, or a quarter of a shorter expiry). */
  everyMs?: number;
}

export class SessionExpiry {
  private readonly now: () => number;
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(private readonly o: SessionExpiryOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The broker's 'client' event (connected, authenticated). */
  connected(clientId: string): void {
    this.o.persistence.sessionSeen(clientId, true, this.now());
  }

  /** The broker's 'clientDisconnect' event. */
  disconnected(clientId: string): void {
    this.o.persistence.sessionSeen(clientId, false, this.now());
  }

  /** Drops sessions idle past the expiry; cheap to call every tick. Returns what was dropped. */
  sweep(): PurgedSession[] {
    const now = this.now();
    if (now - this.lastSweep < (this.o.everyMs ?? Math.min(60_000, this.o.expiryMs / 4))) return [];
    this.lastSweep = now;
    const dropped: PurgedSession[] = [];
    for (const clientId of this.o.persistence.idleSessions(now - this.o.expiryMs)) {
      // The row says "not connected", but a client of that id may have connected since the row
      // was written (rows are written on events): the broker's word wins.
      if (this.o.isConnected(clientId)) continue;
      const p = this.o.persistence.purgeSession(clientId);
      dropped.push(p);
      if (p.subscriptions > 0 || p.queued > 0)
        this.o.log.info(
          { code: 'TG_HUB_SESSION_EXPIRED', ...p, expiryDays: this.o.expiryMs / 86_400_000 },
          'session expired: client not seen within the expiry, subscriptions and queued messages dropped',
        );
    }
    return dropped;
  }

  /** Drops the sessions of client ids no active device owns (after a credentials change). */
  purgeRevoked(): PurgedSession[] {
    const dropped: PurgedSession[] = [];
    const devices = this.o.credentials.list();
    for (const clientId of this.o.persistence.sessionClients()) {
      // The most specific device the id belongs to, revoked ones included: when dash-ops (client
      // id dash-ops-1) is revoked, its session must go although dash may use dash-* ids too.
      let owner: (typeof devices)[number] | undefined;
      for (const d of devices)
        if ((d.id === clientId || clientIdAllowed(d, clientId)) && (!owner || d.id.length > owner.id.length))
          owner = d;
      if (owner && owner.revokedAt === null) continue;
      const p = this.o.persistence.purgeSession(clientId);
      dropped.push(p);
      this.o.log.warn(
        { code: 'TG_HUB_SESSION_PURGED', ...p },
        'device revoked or removed: its session and queued messages dropped',
      );
    }
    return dropped;
  }
}
