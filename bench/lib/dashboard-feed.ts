/**
 * The dashboard server (bench/support/dashboard-host.ts, its own process) and a guard's browser
 * reduced to what matters for latency: logged in, reading the live feed (GET /api/feed, SSE) and
 * noting when each alert event arrives.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { awaitReady } from '../../test/harness/proc.ts';
import { spawnTs } from './edges.ts';

export interface FeedAlert {
  kind: string;
  gateId: string;
  employeeNo?: string | null;
  state?: string;
}

export interface FeedStats {
  /** Frames received, by event type. */
  frames: Record<string, number>;
  /** Times the server closed the stream and the client resumed. */
  reconnects: number;
  error?: string;
}

export interface DashboardFeed {
  pid: number;
  stats: FeedStats;
  stop(): Promise<void>;
}

const GUARD_PASSWORD = 'bench-guard-password-0123';

export async function startDashboardFeed(o: {
  dir: string;
  siteId: string;
  mqttUrl: string;
  username: string;
  password: string;
  /** Where the dashboard reads readings from (its config's `readings`). */
  readings: { kind: 'influx'; url: string; database: string } | { kind: 'sqlite'; path: string };
  onAlert: (a: FeedAlert, receivedAt: number) => void;
  /** Node flags for the dashboard's process (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
}): Promise<DashboardFeed> {
  const config = join(o.dir, 'dashboard.json');
  writeFileSync(
    config,
    JSON.stringify({
      siteId: o.siteId,
      http: { host: '127.0.0.1', port: 0 },
      dataDir: join(o.dir, 'dashboard'),
      mqtt: { url: o.mqttUrl, username: o.username, password: o.password },
      readings: o.readings,
      rooms: Array.from({ length: 50 }, (_, i) => ({
        id: `room-${i + 1}`,
        name: `R${i + 1}`,
        capacity: 4,
        shared: true,
      })),
      logLevel: 'warn',
    }),
  );
  const p = spawnTs('bench/support/dashboard-host.ts', [config, GUARD_PASSWORD], o.nodeArgs);
  await awaitReady(p, () => /ready \d+/.test(p.output()), {
    name: 'dashboard',
    what: 'dashboard listening and subscribed',
    timeoutMs: 60_000,
    intervalMs: 100,
    config,
  });
  const port = Number(/ready (\d+)/.exec(p.output())?.[1]);
  const base = `http://127.0.0.1:${port}`;
  const login = await fetch(`${base}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'guard', password: GUARD_PASSWORD }),
  });
  if (!login.ok) throw new Error(`login: HTTP ${login.status} ${await login.text()}`);
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const abort = new AbortController();
  const stats: FeedStats = { frames: {}, reconnects: 0 };
  let lastId = '';
  // Like a browser's EventSource: read frames as they come, reconnect with Last-Event-ID when the
  // server closes the stream (it drops clients that fall behind; they resume from its store).
  const pump = (async () => {
    while (!abort.signal.aborted) {
      const res = await fetch(`${base}/api/feed`, {
        headers: { cookie, accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
        signal: abort.signal,
      });
      if (!res.ok || !res.body) throw new Error(`feed: HTTP ${res.status}`);
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const now = performance.now();
        buf += decoder.decode(value, { stream: true });
        let end = buf.indexOf('\n\n');
        while (end >= 0) {
          const frame = buf.slice(0, end);
          buf = buf.slice(end + 2);
          end = buf.indexOf('\n\n');
          const type = /^event: (.*)$/m.exec(frame)?.[1] ?? '(comment)';
          const id = /^id: (.*)$/m.exec(frame)?.[1];
          if (id) lastId = id;
          stats.frames[type] = (stats.frames[type] ?? 0) + 1;
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (type === 'alert' && data) o.onAlert(JSON.parse(data) as FeedAlert, now);
        }
      }
      if (!abort.signal.aborted) stats.reconnects++;
    }
  })().catch((e) => {
    if (!abort.signal.aborted) stats.error = String(e);
  });
  return {
    pid: p.pid,
    stats,
    async stop() {
      abort.abort();
      await pump;
      await p.stop('SIGTERM', 10_000);
    },
  };
}
