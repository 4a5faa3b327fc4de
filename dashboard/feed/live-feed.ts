/**
 * Server-sent events on GET /api/feed. Each persisted event goes out as
 *   id: <n>\nevent: <type>\ndata: <json>\n\n
 * A browser's EventSource reconnects by itself with `Last-Event-ID`; we replay what it missed from
 * the FeedStore, then stream live. Replay and joining the live set happen in one synchronous step
 * (better-sqlite3 is synchronous), so no event can slip in between and none is sent twice.
 * A fresh connection (no id) first gets a `hello` event carrying the current head id, so even a
 * browser that drops before the first real event resumes from the right place. Snapshot events
 * (the fleet) carry no id: they are state, not history, and leave the browser's resume point alone.
 *
 * Frames go to each client once per turn of the event loop, joined: at 1,000 gates a write per
 * decision per client was one syscall each (`writev`, a sixth of the dashboard's busiest turns,
 * bench/scale.ts profile of 2026-12-07). Replay at attach is written at once.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FeedLag, type FeedLagState } from './lag.ts';
import type { FeedEvent, FeedStore, FeedType } from './store.ts';
import { type Clock, systemClock, type Timer } from '../../kernel/clock.ts';
import { OncePerTurn } from '../../kernel/turn.ts';

export interface FeedClient {
  id: number;
  username: string;
  sessionIdHash: string | null;
  res: FastifyReply['raw'];
}

export interface LiveFeedOptions {
  /** Event times and the heartbeat timer (default the system clock). */
  clock?: Clock;
  /** Comment lines that keep proxies from closing an idle stream (default 15 s). */
  heartbeatMs?: number;
  /** Snapshot events (no id) sent to each new client, e.g. the current fleet. */
  snapshot?: () => Array<{ type: FeedType; data: unknown }>;
  /** Checked at every heartbeat: a stream whose session ended (logout, disabled) is closed. */
  sessionAlive?: (idHash: string) => boolean;
  /** A client more than this far behind (bytes buffered) is dropped; it resumes from the store. */
  maxBufferedBytes?: number;
  /**
   * Passages older than this when they go out (median over `lagWindowMs`): the feed is behind and
   * says so to every client (event `lag`, lag.ts). Default 5 s.
   */
  lagNoticeMs?: number;
  /** Default 2 s. */
  lagWindowMs?: number;
  onClientsChange?: (n: number) => void;
}

const frame = (e: { id?: number; type: string; data: string }) =>
  `${e.id === undefined ? '' : `id: ${e.id}\n`}event: ${e.type}\ndata: ${e.data}\n\n`;

export class LiveFeed {
  private readonly clients = new Set<FeedClient>();
  private readonly timer: Timer;
  private nextClientId = 1;
  private closed = false;
  private readonly listeners = new Set<(e: FeedEvent) => void>();
  private readonly lag: FeedLag;
  private readonly lagTimer: Timer;
  /** Frames for each client not written yet (in order). */
  private readonly waiting = new Map<FeedClient, string[]>();
  private readonly writes = new OncePerTurn(() => this.writeWaiting());

  constructor(
    private readonly store: FeedStore,
    private readonly opts: LiveFeedOptions = {},
  ) {
    this.timer = (opts.clock ?? systemClock).setInterval(() => this.heartbeat(), opts.heartbeatMs ?? 15_000);
    this.timer.unref?.();
    this.lag = new FeedLag(opts.lagNoticeMs ?? 5_000);
    this.lagTimer = (opts.clock ?? systemClock).setInterval(
      () => this.endLagWindow(),
      opts.lagWindowMs ?? 2_000,
    );
    this.lagTimer.unref?.();
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Persists and pushes an event; returns it with its id. */
  publish(type: FeedType, data: unknown): FeedEvent {
    const e = this.store.append(type, JSON.stringify(data), (this.opts.clock ?? systemClock).now());
    const text = frame(e);
    for (const c of this.clients) this.queue(c, text);
    for (const fn of this.listeners) fn(e);
    return e;
  }

  /** Pushes state that is not history (not persisted, no id). */
  broadcast(type: FeedType, data: unknown): void {
    const text = frame({ type, data: JSON.stringify(data) });
    for (const c of this.clients) this.queue(c, text);
  }

  /**
   * A realtime passage that happened at `sourceAt` (the gate's clock) goes out now: how late the
   * feed is (lag.ts).
   */
  noteSourceTime(sourceAt: number): void {
    this.lag.seen(sourceAt, (this.opts.clock ?? systemClock).now());
  }

  /** How far behind the feed is (what the `lag` events said last). */
  lagState(): FeedLagState {
    return this.lag.current();
  }

  private endLagWindow(): void {
    const changed = this.lag.endWindow((this.opts.clock ?? systemClock).now());
    if (changed) this.broadcast('lag', changed);
  }

  /** In-process subscribers (tests, benchmarks): persisted events as they are published. */
  onEvent(fn: (e: FeedEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Takes over the HTTP response and streams. `lastEventId` undefined = a fresh connection.
   * Call only after authentication (the route's onRequest hook has run).
   */
  attach(req: FastifyRequest, reply: FastifyReply, lastEventId: number | undefined): void {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx and similar proxies would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });
    if (this.closed) {
      res.end();
      return;
    }
    const client: FeedClient = {
      id: this.nextClientId++,
      username: req.user?.username ?? '',
      sessionIdHash: req.session?.idHash ?? null,
      res,
    };
    let out = 'retry: 2000\n\n';
    if (lastEventId === undefined) {
      out += frame({
        id: this.store.head(),
        type: 'hello',
        data: JSON.stringify({ head: this.store.head() }),
      });
    } else {
      const oldest = this.store.oldest();
      if (lastEventId + 1 < oldest)
        // Pruned meanwhile: say so, the page refetches its state (it does on every reconnect anyway).
        out += frame({ type: 'gap', data: JSON.stringify({ requested: lastEventId, oldest }) });
      for (const e of this.store.since(lastEventId)) out += frame(e);
    }
    for (const s of this.opts.snapshot?.() ?? [])
      out += frame({ type: s.type, data: JSON.stringify(s.data) });
    // A page that connects while the feed is behind is told at once, not at the next change.
    const lag = this.lag.current();
    if (lag.behindS !== null) out += frame({ type: 'lag', data: JSON.stringify(lag) });
    this.clients.add(client);
    this.opts.onClientsChange?.(this.clients.size);
    const drop = () => {
      this.waiting.delete(client);
      if (this.clients.delete(client)) this.opts.onClientsChange?.(this.clients.size);
    };
    res.on('close', drop);
    res.on('error', drop);
    this.write(client, out);
  }

  private queue(c: FeedClient, text: string): void {
    const q = this.waiting.get(c);
    if (q) q.push(text);
    else this.waiting.set(c, [text]);
    this.writes.request();
  }

  private writeWaiting(): void {
    for (const [c, q] of this.waiting) this.write(c, q.length === 1 ? (q[0] as string) : q.join(''));
    this.waiting.clear();
  }

  private write(c: FeedClient, text: string): void {
    if (c.res.destroyed || c.res.writableEnded) return;
    if (c.res.writableLength > (this.opts.maxBufferedBytes ?? 4 * 1024 * 1024)) {
      c.res.destroy();
      return;
    }
    c.res.write(text);
  }

  private heartbeat(): void {
    for (const c of this.clients) {
      if (c.sessionIdHash && this.opts.sessionAlive && !this.opts.sessionAlive(c.sessionIdHash)) {
        c.res.end();
        continue;
      }
      this.queue(c, ': hb\n\n');
    }
  }

  /** Ends every stream (app shutdown). */
  close(): void {
    this.closed = true;
    this.writes.flush();
    this.store.close();
    this.timer.cancel();
    this.lagTimer.cancel();
    for (const c of this.clients) c.res.end();
    this.clients.clear();
    this.opts.onClientsChange?.(0);
  }
}
