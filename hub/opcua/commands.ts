/**
 * Gate commands from OPC UA methods: published as a GateCommand on the gate's command topic (QoS 1),
 * answered by the gate's GateCommandAck with the same id. Pure apart from the injected publish.
 */
import { randomUUID } from 'node:crypto';
import { type GateCommand, type GateCommandAck, SCHEMA_VERSION } from '../../protocols/gate/messages.ts';
import { GateTopic } from '../../protocols/topics.ts';

export type CommandKind = GateCommand['kind'];

export type CommandOutcome =
  | { ok: true; id: string; ms: number }
  | { ok: false; id: string; ms: number; why: 'timeout' | 'failed' | 'not-published'; error: string };

interface Pending {
  gateId: string;
  startedAt: number;
  timer: NodeJS.Timeout;
  settle: (o: CommandOutcome) => void;
}

export interface CommandDispatcherOptions {
  siteId: string;
  timeoutMs: number;
  publish: (topic: string, payload: string) => Promise<void>;
  now?: () => number;
}

export class CommandDispatcher {
  private readonly pending = new Map<string, Pending>();
  private readonly now: () => number;

  constructor(private readonly o: CommandDispatcherOptions) {
    this.now = o.now ?? Date.now;
  }

  send(gateId: string, kind: CommandKind, reason: string, by: string): Promise<CommandOutcome> {
    const id = `opcua-${randomUUID()}`;
    const startedAt = this.now();
    const cmd: GateCommand = { v: SCHEMA_VERSION, id, kind, reason, by, at: startedAt };
    return new Promise<CommandOutcome>((resolve) => {
      const settle = (o: CommandOutcome) => {
        const p = this.pending.get(id);
        if (!p) return;
        clearTimeout(p.timer);
        this.pending.delete(id);
        resolve(o);
      };
      const timer = setTimeout(
        () =>
          settle({
            ok: false,
            id,
            ms: this.now() - startedAt,
            why: 'timeout',
            error: `no acknowledgement from ${gateId} within ${this.o.timeoutMs} ms`,
          }),
        this.o.timeoutMs,
      );
      this.pending.set(id, { gateId, startedAt, timer, settle });
      this.o
        .publish(GateTopic.command(this.o.siteId, gateId), JSON.stringify(cmd))
        .catch((e: Error) =>
          settle({ ok: false, id, ms: this.now() - startedAt, why: 'not-published', error: e.message }),
        );
    });
  }

  /** A GateCommandAck from `gateId`'s topic; acks of other sources' commands are not ours. */
  onAck(gateId: string, ack: GateCommandAck): void {
    const p = this.pending.get(ack.id);
    if (!p || p.gateId !== gateId) return;
    const ms = this.now() - p.startedAt;
    p.settle(
      ack.ok
        ? { ok: true, id: ack.id, ms }
        : { ok: false, id: ack.id, ms, why: 'failed', error: ack.error ?? 'refused by the gate' },
    );
  }

  close(): void {
    for (const [id, p] of this.pending)
      p.settle({ ok: false, id, ms: this.now() - p.startedAt, why: 'not-published', error: 'hub stopping' });
  }
}
