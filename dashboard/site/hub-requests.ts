/**
 * Requests to the hub (HoldRequest, PolicyRequest) and its answers (HubReply, same `id`, on
 * `tg/{site}/hub/reply`). Two ways to ask:
 * - `ask()`: an admin's or HR's request from a page. Published, then answered within
 *   `replyTimeoutMs` or not at all: the route answers 504 TG_DASH_HUB_TIMEOUT and the user tries
 *   again (each attempt has its own id; a late reply to an abandoned one is only logged).
 * - `send()`: what a guard's episode action implies for the person's hold (lift after a normal
 *   re-check, stage after "sent home", room after a move). The guard's action is recorded
 *   whatever the hub does, so the request goes into an outbox in the dashboard's database and is
 *   published again (same id) every `retryEveryMs` until the hub answers, also across restarts.
 *   A refusal is kept with the hub's code; unanswered and refused requests are listed with the
 *   holds (GET /api/holds `requests`), so a guard or HR sees what has not reached the hub.
 */
import { randomBytes } from 'node:crypto';
import type { HoldRequest, HubReply } from '../../protocols/site/holds.ts';
import { DashboardTopic } from '../../protocols/topics.ts';
import { migrate } from '../db/migrate.ts';
import type { Db } from '../db/open.ts';
import type { Logger } from '../log.ts';
import { hubRefused, hubTimeout } from './errors.ts';
import type { Clock } from '../../kernel/clock.ts';

export type Publish = (topic: string, payload: string, opts: { qos: 0 | 1; retain?: boolean }) => void;

export interface HubRequestsDeps {
  db: Db;
  siteId: string;
  /** Time and the reply timeout's timer. */
  clock: Clock;
  publish: Publish;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** How long a page's request waits for the hub (default 5 s). */
  replyTimeoutMs?: number;
  /** Outbox: pause between publications of an unanswered request (default 15 s). */
  retryEveryMs?: number;
}

/** An outbox request as listed with the holds. */
export interface OutboxView {
  id: string;
  employeeNo: string;
  action: HoldRequest['action'];
  /** pending: not answered yet (published `attempts` times); refused: the hub said no. */
  state: 'pending' | 'refused';
  attempts: number;
  createdAt: number;
  code: string | null;
  error: string | null;
  /** The request as sent. */
  request: HoldRequest;
}

const STEPS = [
  `CREATE TABLE IF NOT EXISTS hub_request (
     id          TEXT    PRIMARY KEY,
     employee_no TEXT    NOT NULL,
     action      TEXT    NOT NULL,
     payload     TEXT    NOT NULL,
     state       TEXT    NOT NULL,
     attempts    INTEGER NOT NULL,
     next_at     INTEGER NOT NULL,
     created_at  INTEGER NOT NULL,
     answered_at INTEGER,
     code        TEXT,
     error       TEXT
   );
   CREATE INDEX IF NOT EXISTS hub_request_due ON hub_request (next_at) WHERE state = 'pending';`,
];

/** Refused outbox requests stay listed this long (then only the log and the audit have them). */
const SHOW_REFUSED_MS = 7 * 24 * 3600_000;

interface Row {
  id: string;
  employee_no: string;
  action: HoldRequest['action'];
  payload: string;
  state: 'pending' | 'done' | 'refused';
  attempts: number;
  created_at: number;
  code: string | null;
  error: string | null;
}

export function newRequestId(prefix = 'dash'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
}

export class HubRequests {
  private readonly waiting = new Map<string, (r: HubReply) => void>();
  private readonly replyTimeoutMs: number;
  private readonly retryEveryMs: number;
  private readonly s;

  constructor(private readonly d: HubRequestsDeps) {
    migrate(d.db, 'hub-requests', STEPS);
    this.replyTimeoutMs = d.replyTimeoutMs ?? 5000;
    this.retryEveryMs = d.retryEveryMs ?? 15_000;
    this.s = {
      insert: d.db.prepare(
        `INSERT INTO hub_request (id, employee_no, action, payload, state, attempts, next_at, created_at)
         VALUES (?, ?, ?, ?, 'pending', 1, ?, ?)`,
      ),
      get: d.db.prepare('SELECT * FROM hub_request WHERE id = ?'),
      due: d.db.prepare(
        `SELECT * FROM hub_request WHERE state = 'pending' AND next_at <= ? ORDER BY created_at, id`,
      ),
      again: d.db.prepare('UPDATE hub_request SET attempts = attempts + 1, next_at = ? WHERE id = ?'),
      answer: d.db.prepare(
        'UPDATE hub_request SET state = ?, answered_at = ?, code = ?, error = ? WHERE id = ?',
      ),
      open: d.db.prepare(
        `SELECT * FROM hub_request WHERE state = 'pending' OR (state = 'refused' AND answered_at >= ?)
         ORDER BY created_at DESC, id LIMIT 500`,
      ),
    };
  }

  /**
   * Publishes and waits for the hub's answer. Resolves with an accepted reply; throws
   * TG_DASH_HUB_TIMEOUT (504) when none came in time, or the hub's refusal (409/400, its code).
   */
  async ask(topic: string, message: { id: string }): Promise<HubReply> {
    const reply = await new Promise<HubReply | null>((resolve) => {
      const timer = this.d.clock.setTimeout(() => {
        this.waiting.delete(message.id);
        resolve(null);
      }, this.replyTimeoutMs);
      this.waiting.set(message.id, (r) => {
        timer.cancel();
        this.waiting.delete(message.id);
        resolve(r);
      });
      this.d.publish(topic, JSON.stringify(message), { qos: 1 });
    });
    if (!reply) throw hubTimeout(this.replyTimeoutMs);
    if (!reply.ok) throw hubRefused(reply);
    return reply;
  }

  /** Queues a HoldRequest that must reach the hub eventually (see the module comment). */
  send(req: HoldRequest): void {
    const now = this.d.clock.now();
    this.s.insert.run(req.id, req.employeeNo, req.action, JSON.stringify(req), now + this.retryEveryMs, now);
    this.d.publish(DashboardTopic.holdRequest(this.d.siteId), JSON.stringify(req), { qos: 1 });
  }

  /** A HubReply from the wire: wakes a waiting ask(), or settles an outbox request. */
  onReply(r: HubReply): void {
    const waiter = this.waiting.get(r.id);
    if (waiter) {
      waiter(r);
      return;
    }
    const row = this.s.get.get(r.id) as Row | undefined;
    if (!row) {
      this.d.log.info({ requestId: r.id, ok: r.ok, code: r.code }, 'hub reply to no waiting request');
      return;
    }
    if (row.state !== 'pending') return; // answered already (a reply to a re-publication)
    this.s.answer.run(r.ok ? 'done' : 'refused', this.d.clock.now(), r.code, r.error, r.id);
    if (r.ok)
      this.d.log.info({ requestId: r.id, action: row.action, employeeNo: row.employee_no }, 'hub applied');
    else
      this.d.log.warn(
        { requestId: r.id, action: row.action, employeeNo: row.employee_no, code: r.code, error: r.error },
        'hub refused a hold request',
      );
  }

  /** Publishes the outbox requests that are due again (the dashboard's tick, every second). */
  tick(): void {
    const now = this.d.clock.now();
    for (const row of this.s.due.all(now) as Row[]) {
      this.s.again.run(now + this.retryEveryMs, row.id);
      this.d.publish(DashboardTopic.holdRequest(this.d.siteId), row.payload, { qos: 1 });
      if (row.attempts === 1 || row.attempts % 20 === 0)
        this.d.log.warn(
          { requestId: row.id, action: row.action, employeeNo: row.employee_no, attempts: row.attempts + 1 },
          'hub has not answered a hold request: sent again',
        );
    }
  }

  /** Outbox requests not answered yet, and those the hub refused lately. */
  unsettled(): OutboxView[] {
    return (this.s.open.all(this.d.clock.now() - SHOW_REFUSED_MS) as Row[]).map((r) => ({
      id: r.id,
      employeeNo: r.employee_no,
      action: r.action,
      state: r.state === 'refused' ? 'refused' : 'pending',
      attempts: r.attempts,
      createdAt: r.created_at,
      code: r.code,
      error: r.error,
      request: JSON.parse(r.payload) as HoldRequest,
    }));
  }

  close(): void {
    for (const w of this.waiting.values())
      w({
        v: 1,
        id: '',
        ok: false,
        code: 'TG_DASH_SHUTTING_DOWN',
        error: 'shutting down',
        version: null,
        at: 0,
      });
    this.waiting.clear();
  }
}
