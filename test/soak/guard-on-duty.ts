/**
 * A guard working the fever episodes on the dashboard, as the plans require: every open fever is
 * taken to its room, re-checked (a normal contact reading here) and closed as "may enter", which lifts the person's
 * hold at every gate. Without it the soak's small population would end up held one by one (a
 * fever holds a person until a guard or HR clears them) and no gate could show that it recovered
 * from a fault by releasing a healthy person. Errors (dashboard or hub restarting) are ignored:
 * the next round tries again, as a guard would.
 */
import type { AlertState } from '../../protocols/dashboard/messages.ts';

export class GuardOnDuty {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Episodes closed so far. */
  closed = 0;
  private session: { cookie: string; csrf: string } | undefined;

  constructor(
    private readonly url: () => string,
    private readonly guard: { username: string; password: string },
    private readonly everyMs = 1500,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.round(), this.everyMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async round(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const signal = AbortSignal.timeout(5000);
      if (!this.session) {
        const login = await fetch(`${this.url()}/api/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(this.guard),
          signal,
        });
        if (login.status !== 200) return;
        const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
        this.session = { cookie, csrf: ((await login.json()) as { csrfToken: string }).csrfToken };
      }
      const { cookie, csrf } = this.session;
      const headers = { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' };
      const r = await fetch(`${this.url()}/api/alerts?state=open&limit=1000`, {
        headers: { cookie },
        signal,
      });
      // A restarted dashboard may have forgotten the session: log in again next round.
      if (r.status === 401) this.session = undefined;
      if (r.status !== 200) return;
      for (const a of (await r.json()) as AlertState[]) {
        if (a.kind !== 'fever' || a.state === 'cleared') continue;
        const path = `${this.url()}/api/alerts/${encodeURIComponent(a.id)}`;
        // The person reached the room (an episode still waiting for a room is left for later).
        if (a.stage === 'assigned')
          await fetch(`${path}/arrival`, { method: 'POST', headers, body: '{}', signal });
        else if (a.stage !== 'arrived' && a.stage !== 'rechecked') continue;
        await fetch(`${path}/recheck`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ temperatureTenths: 365, instrument: 'contact' }),
          signal,
        });
        const c = await fetch(`${path}/close`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ disposition: 'cleared-to-enter', note: '复测正常（水银体温计）' }),
          signal,
        });
        if (c.ok) this.closed++;
      }
    } catch {
      // The dashboard (or the hub behind it) is restarting: next round.
    } finally {
      this.running = false;
    }
  }
}
