/**
 * The live feed (SSE on /api/feed). EventSource reconnects by itself and sends Last-Event-ID, so
 * the server replays what we missed. It gives up only when the server answers with an error
 * (session expired, proxy down, server restarting): then we open a new one after a pause, asking to
 * resume from the last id we saw (`?lastEventId=`), and the page refetches its state anyway.
 */

export type FeedStatus = 'connecting' | 'open' | 'reconnecting';
export const FEED_EVENTS = ['decision', 'alert', 'fleet', 'rooms', 'command', 'holds'] as const;
export type FeedEventType = (typeof FEED_EVENTS)[number];

export interface FeedHandlers {
  onEvent(type: FeedEventType, data: unknown): void;
  onStatus(status: FeedStatus): void;
  /**
   * Refetch whatever the page shows: after a break in the feed, and when the server says it could
   * not replay everything (`gap`: the events were pruned meanwhile).
   */
  onReconnected(): void;
  /**
   * The server says how far behind the site the feed is (event `lag`: seconds, null once it keeps
   * up again); reset to null on every (re)connect, the server repeats it when still behind.
   */
  onBehind?(behindS: number | null): void;
  /**
   * Asked before opening a new EventSource after the server refused one: false stops retrying
   * (e.g. the session is gone and the login form is about to show).
   */
  shouldRetry?(): Promise<boolean>;
}

export interface Feed {
  close(): void;
}

export function openFeed(h: FeedHandlers, url = '/api/feed'): Feed {
  let es: EventSource | null = null;
  let closed = false;
  let hadBreak = false;
  let retryMs = 1000;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let lastEventId = '';

  const connect = () => {
    if (closed) return;
    es = new EventSource(lastEventId ? `${url}?lastEventId=${encodeURIComponent(lastEventId)}` : url);
    es.addEventListener('hello', (ev) => {
      lastEventId = (ev as MessageEvent).lastEventId || lastEventId;
    });
    for (const type of FEED_EVENTS) {
      es.addEventListener(type, (ev) => {
        // Snapshot events (the fleet) carry no id and leave the resume point alone.
        if ((ev as MessageEvent).lastEventId) lastEventId = (ev as MessageEvent).lastEventId;
        let data: unknown;
        try {
          data = JSON.parse((ev as MessageEvent<string>).data);
        } catch {
          return;
        }
        h.onEvent(type, data);
      });
    }
    es.addEventListener('gap', () => h.onReconnected());
    es.addEventListener('lag', (ev) => {
      try {
        const s = (JSON.parse((ev as MessageEvent<string>).data) as { behindS?: unknown }).behindS;
        h.onBehind?.(typeof s === 'number' ? s : null);
      } catch {
        // not ours to break the feed over
      }
    });
    es.onopen = () => {
      retryMs = 1000;
      h.onBehind?.(null);
      h.onStatus('open');
      if (hadBreak) {
        hadBreak = false;
        h.onReconnected();
      }
    };
    es.onerror = () => {
      hadBreak = true;
      h.onStatus('reconnecting');
      if (es && es.readyState === EventSource.CLOSED) {
        es = null;
        retryTimer = setTimeout(async () => {
          retryTimer = null;
          if (closed) return;
          if (h.shouldRetry && !(await h.shouldRetry().catch(() => true))) return;
          connect();
        }, retryMs);
        retryMs = Math.min(retryMs * 2, 15_000);
      }
    };
  };

  // A laptop that wakes up or gets its network back: try at once rather than after the backoff.
  const onOnline = () => {
    if (!es && !closed && retryTimer) {
      if (retryTimer) clearTimeout(retryTimer);
      connect();
    }
  };
  window.addEventListener('online', onOnline);

  h.onStatus('connecting');
  connect();
  return {
    close() {
      closed = true;
      window.removeEventListener('online', onOnline);
      if (retryTimer) clearTimeout(retryTimer);
      es?.close();
      es = null;
    },
  };
}
