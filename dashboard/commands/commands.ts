/**
 * Guards' commands to gates (open once, lock down, release lockdown), published as GateCommand
 * (QoS 1) on the gate's command topic. A command is `pending` until the gate's command-ack:
 * `acknowledged` (ok) or `failed` (ok: false, with the gate's error); with no answer within
 * `ackTimeoutMs` it is `timed-out` (checked on tick(), which the dashboard calls every second).
 * A late ack still records what the gate did. Commands other surfaces sent (OPC UA) are seen on
 * the wire, recorded with their `by`, audited as a system actor and tracked the same way.
 */
import { randomUUID } from 'node:crypto';
import { GateTopic } from '../../protocols/topics.ts';
import {
  type CommandRefusal,
  type GateCommand,
  type GateCommandAck,
  SCHEMA_VERSION,
} from '../../protocols/gate/messages.ts';
import type { Actor } from '../alerts/types.ts';
import { migrate } from '../db/migrate.ts';
import type { Db } from '../db/open.ts';
import { DashboardError, DashErrorCode } from '../server/errors.ts';

export type CommandKind = GateCommand['kind'];
export type CommandStateName = 'pending' | 'acknowledged' | 'failed' | 'timed-out';

export interface CommandView {
  id: string;
  gateId: string;
  kind: CommandKind;
  reason: string;
  by: string;
  at: number;
  /** 'dashboard' when sent from here, 'wire' when another surface sent it. */
  origin: 'dashboard' | 'wire';
  state: CommandStateName;
  error: string | null;
  /** Why the gate refused, as its stable code (translated on the pages); null if not refused or an older gate. */
  errorCode: CommandRefusal | null;
  /** When the ack arrived (or when it timed out). */
  settledAt: number | null;
}

export interface CommandDeps {
  db: Db;
  siteId: string;
  now: () => number;
  ackTimeoutMs: number;
  publish: (topic: string, payload: string, opts: { qos: 0 | 1; retain?: boolean }) => void;
  audit: (by: Actor, action: string, target: string, detail?: object) => void;
}

const STEPS = [
  `CREATE TABLE commands (
     id TEXT PRIMARY KEY,
     gate_id TEXT NOT NULL,
     kind TEXT NOT NULL,
     reason TEXT NOT NULL,
     by_user TEXT NOT NULL,
     at INTEGER NOT NULL,
     origin TEXT NOT NULL,
     state TEXT NOT NULL,
     error TEXT,
     settled_at INTEGER
   );
   CREATE INDEX commands_at ON commands (at);
   CREATE INDEX commands_pending ON commands (state) WHERE state = 'pending'`,
  // Issue #21: the gate's refusal as a code, so a Chinese page can say why.
  'ALTER TABLE commands ADD COLUMN error_code TEXT',
];

interface Row {
  id: string;
  gate_id: string;
  kind: CommandKind;
  reason: string;
  by_user: string;
  at: number;
  origin: 'dashboard' | 'wire';
  state: CommandStateName;
  error: string | null;
  error_code: CommandRefusal | null;
  settled_at: number | null;
}

const view = (r: Row): CommandView => ({
  id: r.id,
  gateId: r.gate_id,
  kind: r.kind,
  reason: r.reason,
  by: r.by_user,
  at: r.at,
  origin: r.origin,
  state: r.state,
  error: r.error,
  errorCode: r.error_code ?? null,
  settledAt: r.settled_at,
});

export class CommandService {
  private readonly listeners = new Set<(c: CommandView) => void>();

  constructor(private readonly d: CommandDeps) {
    migrate(d.db, 'commands', STEPS);
  }

  onChange(fn: (c: CommandView) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(id: string): CommandView {
    const c = this.get(id) as CommandView;
    for (const fn of this.listeners) fn(c);
    return c;
  }

  get(id: string): CommandView | undefined {
    const r = this.d.db.prepare('SELECT * FROM commands WHERE id = ?').get(id) as Row | undefined;
    return r ? view(r) : undefined;
  }

  list(q: { gateId?: string; limit?: number } = {}): CommandView[] {
    const limit = Math.min(Math.max(q.limit ?? 100, 1), 1000);
    const rows = (
      q.gateId
        ? this.d.db
            .prepare('SELECT * FROM commands WHERE gate_id = ? ORDER BY at DESC, rowid DESC LIMIT ?')
            .all(q.gateId, limit)
        : this.d.db.prepare('SELECT * FROM commands ORDER BY at DESC, rowid DESC LIMIT ?').all(limit)
    ) as Row[];
    return rows.map(view);
  }

  /** A guard's command: persisted as pending, published, audited. */
  send(gateId: string, kind: CommandKind, reason: string, by: Actor): CommandView {
    const why = reason.trim();
    if (kind === 'open-once' && !why)
      throw new DashboardError(
        DashErrorCode.REASON_REQUIRED,
        400,
        'opening a gate once needs a reason (it is audited)',
      );
    const cmd: GateCommand = {
      v: SCHEMA_VERSION,
      id: randomUUID(),
      kind,
      reason: why,
      by: by.username,
      at: this.d.now(),
    };
    this.insert(gateId, cmd, 'dashboard');
    this.d.audit(by, 'gate.command', gateId, { commandId: cmd.id, kind, reason: why });
    this.d.publish(GateTopic.command(this.d.siteId, gateId), JSON.stringify(cmd), { qos: 1 });
    return this.changed(cmd.id);
  }

  /** A command seen on the wire: ours coming back (ignored) or another surface's (recorded, audited). */
  onWireCommand(gateId: string, cmd: GateCommand): void {
    if (this.get(cmd.id)) return;
    this.insert(gateId, cmd, 'wire');
    this.d.audit({ username: cmd.by || 'unknown', role: 'system' }, 'gate.command', gateId, {
      commandId: cmd.id,
      kind: cmd.kind,
      reason: cmd.reason,
      via: 'mqtt',
    });
    this.changed(cmd.id);
  }

  onAck(gateId: string, ack: GateCommandAck): void {
    const c = this.get(ack.id);
    if (!c || c.gateId !== gateId) return;
    if (c.state === 'acknowledged' || c.state === 'failed') return; // a redelivered ack
    const state: CommandStateName = ack.ok ? 'acknowledged' : 'failed';
    this.d.db
      .prepare('UPDATE commands SET state = ?, error = ?, error_code = ?, settled_at = ? WHERE id = ?')
      .run(
        state,
        ack.ok ? null : (ack.error ?? 'refused'),
        ack.ok ? null : (ack.code ?? null),
        this.d.now(),
        c.id,
      );
    if (c.state === 'timed-out')
      this.d.audit({ username: 'system', role: 'system' }, 'gate.command.late-ack', gateId, {
        commandId: c.id,
        ok: ack.ok,
      });
    this.changed(c.id);
  }

  /** Times out commands still pending after ackTimeoutMs. */
  tick(): void {
    const limit = this.d.now() - this.d.ackTimeoutMs;
    const due = this.d.db
      .prepare("SELECT id FROM commands WHERE state = 'pending' AND at <= ?")
      .all(limit) as Array<{ id: string }>;
    for (const { id } of due) {
      this.d.db
        .prepare("UPDATE commands SET state = 'timed-out', settled_at = ? WHERE id = ? AND state = 'pending'")
        .run(this.d.now(), id);
      this.changed(id);
    }
  }

  counts(): Record<CommandStateName, number> {
    const out: Record<CommandStateName, number> = { pending: 0, acknowledged: 0, failed: 0, 'timed-out': 0 };
    for (const r of this.d.db
      .prepare('SELECT state, COUNT(*) AS n FROM commands GROUP BY state')
      .all() as Array<{
      state: CommandStateName;
      n: number;
    }>)
      out[r.state] = r.n;
    return out;
  }

  private insert(gateId: string, cmd: GateCommand, origin: 'dashboard' | 'wire'): void {
    this.d.db
      .prepare(
        `INSERT INTO commands (id, gate_id, kind, reason, by_user, at, origin, state)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')`,
      )
      .run(cmd.id, gateId, cmd.kind, cmd.reason, cmd.by, cmd.at, origin);
  }
}
