/** A minimal SSE client over node:http for tests: parses events, keeps comments, can be dropped. */
import http from 'node:http';
import { waitFor } from '../harness/wait.ts';

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

export interface SseStream {
  status: number;
  events: SseEvent[];
  comments: string[];
  ended: boolean;
  /**
   * The id a browser's EventSource would resume from: the last id received. Frames without an id
   * (the fleet snapshot) leave it alone, as in the HTML standard; the last event of `events` may be
   * one of those.
   */
  lastEventId: string | undefined;
  /** Events of one type, data parsed. */
  of<T = unknown>(type: string): T[];
  /** Waits until at least n events of this type arrived. */
  waitFor(type: string, n: number, timeoutMs?: number): Promise<SseEvent[]>;
  waitEnd(timeoutMs?: number): Promise<void>;
  /** Drops the connection from the client side (a browser losing its network). */
  drop(): void;
}

export function openSse(port: number, path: string, headers: Record<string, string>): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = http.get({
      host: '127.0.0.1',
      port,
      path,
      headers: { accept: 'text/event-stream', ...headers },
    });
    req.on('error', (e) => {
      if (!(e as NodeJS.ErrnoException).code?.startsWith('ECONNRESET')) reject(e);
    });
    req.on('response', (res) => {
      const s: SseStream = {
        status: res.statusCode ?? 0,
        events: [],
        comments: [],
        ended: false,
        lastEventId: undefined,
        of: <T>(type: string) => s.events.filter((e) => e.event === type).map((e) => JSON.parse(e.data) as T),
        waitFor: (type, n, timeoutMs = 5000) =>
          waitFor(
            () => {
              const got = s.events.filter((e) => e.event === type);
              return got.length >= n ? got : null;
            },
            { what: `${n} ${type} event(s)`, timeoutMs, intervalMs: 10 },
          ),
        waitEnd: async (timeoutMs = 5000) => {
          await waitFor(() => s.ended, { what: 'the stream to end', timeoutMs, intervalMs: 10 });
        },
        drop: () => {
          req.destroy();
          s.ended = true;
        },
      };
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const e: Partial<SseEvent> & { data?: string } = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) s.comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) e.id = line.slice(4);
            else if (line.startsWith('event: ')) e.event = line.slice(7);
            else if (line.startsWith('data: '))
              e.data = (e.data === undefined ? '' : `${e.data}\n`) + line.slice(6);
          }
          if (e.id !== undefined) s.lastEventId = e.id;
          if (e.event && e.data !== undefined) s.events.push(e as SseEvent);
        }
      });
      res.on('end', () => {
        s.ended = true;
      });
      res.on('close', () => {
        s.ended = true;
      });
      resolve(s);
    });
  });
}
