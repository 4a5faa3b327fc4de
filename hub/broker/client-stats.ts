/**
 * Per-client counters of what the hub accepted and refused, kept for the hub's lifetime (keyed by
 * client id, so they survive reconnects). Exposed through the hub's security API; totals go into
 * the fleet snapshot.
 */
import type { SecurityTotals } from '../../protocols/hub/fleet.ts';
import type { Refusal } from '../errors.ts';

export interface ClientCounters {
  clientId: string;
  username: string | null;
  role: string | null;
  connects: number;
  authFailures: number;
  published: number;
  refusedPublishes: number;
  refusedSubscribes: number;
  oversized: number;
  throttled: number;
  rateDisconnects: number;
  lastRefusal: { at: number; code: Refusal; topic: string | null } | null;
}

export class ClientStats {
  private readonly byClient = new Map<string, ClientCounters>();
  readonly totals: SecurityTotals = {
    authFailures: 0,
    refusedPublishes: 0,
    refusedSubscribes: 0,
    oversized: 0,
    throttled: 0,
    rateDisconnects: 0,
  };

  of(clientId: string): ClientCounters {
    let c = this.byClient.get(clientId);
    if (!c) {
      c = {
        clientId,
        username: null,
        role: null,
        connects: 0,
        authFailures: 0,
        published: 0,
        refusedPublishes: 0,
        refusedSubscribes: 0,
        oversized: 0,
        throttled: 0,
        rateDisconnects: 0,
        lastRefusal: null,
      };
      this.byClient.set(clientId, c);
    }
    return c;
  }

  get(clientId: string): ClientCounters | undefined {
    return this.byClient.get(clientId);
  }

  all(): ClientCounters[] {
    return [...this.byClient.values()];
  }

  refused(clientId: string, code: Refusal, topic: string | null, at: number): ClientCounters {
    const c = this.of(clientId);
    c.lastRefusal = { at, code, topic };
    return c;
  }
}
