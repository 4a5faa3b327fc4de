/**
 * Pull mode (devices.md §5): `GET /ISAPI/Event/notification/alertStream` with Digest keeps a
 * response open and streams events as `multipart/mixed` parts. The stream drops (terminal reboot,
 * network); the client reconnects with capped, jittered backoff. A part cut by the drop is not an
 * event: the terminal sends it again after the reconnect, and the gate dedupes by serialNo, so
 * the event is neither lost nor doubled.
 */
import type { IncomingMessage } from 'node:http';
import { AlertStreamReader, IsapiPath, type IsapiEvent } from '../../../protocols/hik-isapi/index.ts';
import { backoffDelay } from '../../backoff.ts';
import type { Logger } from '../../log.ts';
import { IsapiClientError, type IsapiHttpClient } from './http-client.ts';

export interface AlertStreamOptions {
  client: IsapiHttpClient;
  log: Logger;
  minDelayMs: number;
  maxDelayMs: number;
  onEvent(ev: IsapiEvent): void;
  onBadPayload(code: string): void;
  onConnected(): void;
  /** No byte for this long (terminals send heartbeats) means a dead stream (default 60 s). */
  idleMs?: number;
}

export class AlertStreamClient {
  private attempt = 0;
  private running = false;
  private res: IncomingMessage | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Connections made; tests wait on it. */
  connections = 0;

  constructor(private readonly o: AlertStreamOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.connect();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.res?.destroy();
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    let res: IncomingMessage;
    try {
      res = await this.o.client.send('GET', IsapiPath.alertStream, {
        deadline: Date.now() + 5000,
        stream: true,
      });
    } catch (err) {
      const e =
        err instanceof IsapiClientError ? err : new IsapiClientError('TG_ISAPI_UNREACHABLE', String(err));
      this.o.log[this.attempt === 0 ? 'warn' : 'debug'](
        { code: e.code, err: e.message },
        'alert stream: cannot connect',
      );
      return this.retry();
    }
    if (!this.running) {
      res.destroy();
      return;
    }
    const reader = AlertStreamReader.forContentType(res.headers['content-type']);
    if (res.statusCode !== 200 || !reader.ok) {
      this.o.log.warn(
        { code: 'TG_ISAPI_RESPONSE', httpStatus: res.statusCode, contentType: res.headers['content-type'] },
        'alert stream: not a multipart stream',
      );
      res.destroy();
      return this.retry();
    }
    this.res = res;
    this.attempt = 0;
    this.connections++;
    this.o.log.info('alert stream connected');
    this.o.onConnected();
    res.setTimeout(this.o.idleMs ?? 60_000, () => res.destroy(new Error('idle')));
    res.on('data', (chunk: Buffer) => {
      const out = reader.value.push(chunk);
      if (!out.ok) {
        this.o.onBadPayload(out.error.code);
        this.o.log.warn(
          { code: out.error.code, reason: out.error.message },
          'alert stream framing broken: reconnecting',
        );
        res.destroy();
        return;
      }
      for (const e of out.value) {
        if (e.ok) this.o.onEvent(e.value);
        else {
          this.o.onBadPayload(e.error.code);
          this.o.log.warn({ code: e.error.code, reason: e.error.message }, 'alert stream event rejected');
        }
      }
    });
    res.on('error', () => {});
    res.on('close', () => {
      if (this.res === res) this.res = undefined;
      if (!this.running) return;
      this.o.log.warn({ code: 'TG_ISAPI_STREAM_DROPPED' }, 'alert stream dropped: reconnecting');
      this.retry();
    });
  }

  private retry(): void {
    if (!this.running) return;
    const delay = backoffDelay(this.attempt++, {
      minDelayMs: this.o.minDelayMs,
      maxDelayMs: this.o.maxDelayMs,
    });
    this.timer = setTimeout(() => void this.connect(), delay);
  }
}
