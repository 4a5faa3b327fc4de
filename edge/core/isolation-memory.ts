/**
 * Where this gate sends a flagged person. The dashboard keeps a room ready for the gate's next
 * flagged person (retained `IsolationPlan`, back at once after a restart); without one, or when
 * every room is full, the configured area is named: the gate never waits for the dashboard. A
 * person who tries again is sent to the room they were told (the plan has moved on by then) for as
 * long as the dashboard keeps an episode open for a retry; a held person is sent to the room their
 * hold names, which is the room on the guard's card.
 */
import { IsolationPlan } from '../../protocols/dashboard/messages.ts';
import { ProtocolError, ProtocolErrorCode } from '../../protocols/errors.ts';
import { parsePayload } from '../../protocols/parse.ts';
import { fail, ok, type Result } from '../../protocols/result.ts';
import type { HoldRoom } from '../../protocols/site/holds.ts';
import type { Clock } from '../clock.ts';

/** As long as the dashboard's default episode window: a retry within it is the same episode. */
const TOLD_ROOM_MEMORY_MS = 30 * 60_000;

export class IsolationMemory {
  private plan: IsolationPlan | null = null;
  private readonly told = new Map<string, { room: HoldRoom; at: number }>();

  constructor(
    private readonly siteId: string,
    private readonly gateId: string,
    private readonly clock: Clock,
  ) {}

  /** The room for a person flagged now (and remembered for their retries). */
  roomFor(employeeNo: string): HoldRoom | null {
    const now = this.clock.now();
    for (const [who, t] of this.told) if (now - t.at > TOLD_ROOM_MEMORY_MS) this.told.delete(who);
    const told = employeeNo ? this.told.get(employeeNo) : undefined;
    const room = told?.room ?? this.plan?.room ?? null;
    if (room && employeeNo) this.told.set(employeeNo, { room, at: now });
    return room;
  }

  /** A retained plan arrived; an empty payload deletes it (the dashboard was removed). */
  onPlan(payload: Uint8Array | string): Result<IsolationPlan | null> {
    if (payload.length === 0) {
      this.plan = null;
      return ok(null);
    }
    const r = parsePayload(IsolationPlan, payload);
    if (!r.ok) return r;
    if (r.value.siteId !== this.siteId || r.value.gateId !== this.gateId)
      return fail(new ProtocolError(ProtocolErrorCode.MSG_SCHEMA, 'plan for another gate'));
    this.plan = r.value;
    return r;
  }

  get planned(): HoldRoom | null {
    return this.plan?.room ?? null;
  }
}
