/**
 * Fever episodes and their rooms: placing a new episode, following the room the gate actually
 * named, and handing freed places to whoever waits (first come, first served). Occupancy is
 * counted from the open episodes themselves, so it survives restarts and never drifts.
 */
import { chooseRoom, hasSpace, type Occupancy, planRooms } from '../isolation/assign.ts';
import type { RoomStore } from '../isolation/room-store.ts';
import type { AlertRecord, AlertStore } from './store.ts';
import type { AlertsDeps } from './types.ts';
import type { EscalationReason } from './webhooks.ts';

/** What the domain's steps need from the service (one transaction, changes collected for publishing). */
export interface DomainCtx {
  readonly d: AlertsDeps;
  readonly store: AlertStore;
  readonly roomStore: RoomStore;
  now(): number;
  insert(rec: AlertRecord): void;
  save(rec: AlertRecord): void;
  /** Occupancy or rooms changed: plans and room views are sent once the step is done. */
  roomsChanged(): void;
  escalate(rec: AlertRecord, reason: Exclude<EscalationReason, 'raised'>): void;
  /** A new fever episode: notify at once (随时报), whatever happens next. */
  feverRaised(rec: AlertRecord): void;
  /** The episode's room is not the one the gate named: tell the hub, which keeps it on the hold. */
  holdRoom(rec: AlertRecord): void;
  /** Every gate known so far. */
  gates(): string[];
}

export function occupancy(store: AlertStore): Map<string, number> {
  const occ = new Map<string, number>();
  for (const o of store.occupants()) occ.set(o.roomId, (occ.get(o.roomId) ?? 0) + 1);
  return occ;
}

/** Occupancy without this episode (it is moving, so its own place does not count against it). */
function occupancyWithout(ctx: DomainCtx, rec: AlertRecord): Map<string, number> {
  const occ = occupancy(ctx.store);
  if (rec.roomId && (rec.stage === 'assigned' || rec.stage === 'arrived' || rec.stage === 'rechecked'))
    occ.set(rec.roomId, Math.max(0, (occ.get(rec.roomId) ?? 0) - 1));
  return occ;
}

function assign(ctx: DomainCtx, rec: AlertRecord, roomId: string): void {
  rec.roomId = roomId;
  rec.stage = 'assigned';
  rec.assignedAt = ctx.now();
  rec.waitingSince = null;
}

/**
 * A new fever episode: the room the gate told the person (`told`) while it has space; otherwise
 * the room this gate's plan holds for it, otherwise the best free one; otherwise wait and escalate.
 * The caller inserts the record; escalation needs it stored first, so it is returned as a flag.
 */
export function placeNewEpisode(ctx: DomainCtx, rec: AlertRecord, told: string | null): { full: boolean } {
  const rooms = ctx.roomStore.all();
  const occ = occupancy(ctx.store);
  const planned = told ? null : (planRooms(rooms, occ, [...ctx.gates(), rec.gateId]).get(rec.gateId) ?? null);
  const room = chooseRoom(rooms, occ, rec.gateId, told ?? planned?.id);
  ctx.roomsChanged();
  if (room) {
    assign(ctx, rec, room.id);
    return { full: false };
  }
  rec.roomId = null;
  rec.stage = 'waiting-for-room';
  rec.waitingSince = ctx.now();
  return { full: true };
}

/**
 * The gate named a room to the person (its plan): when the episode is not in that room yet and the
 * person has not arrived anywhere, follow the gate's word if the room has space. Returns whether
 * the episode moved.
 */
export function followToldRoom(ctx: DomainCtx, rec: AlertRecord, told: string | null): boolean {
  if (!told || rec.roomId === told) return false;
  if (rec.stage !== 'assigned' && rec.stage !== 'waiting-for-room') return false;
  const room = ctx.roomStore.get(told);
  if (!room || !hasSpace(room, occupancyWithout(ctx, rec))) return false;
  assign(ctx, rec, room.id);
  ctx.roomsChanged();
  return true;
}

/** Hands free places to waiting episodes, oldest first, each to the best room for its gate. */
export function assignWaiting(ctx: DomainCtx): AlertRecord[] {
  const waiting = ctx.store.waiting();
  if (waiting.length === 0) return [];
  const rooms = ctx.roomStore.all();
  const occ: Map<string, number> = occupancy(ctx.store);
  const placed: AlertRecord[] = [];
  for (const rec of waiting) {
    const room = chooseRoom(rooms, occ as Occupancy, rec.gateId);
    if (!room) break;
    assign(ctx, rec, room.id);
    rec.note = 'a room became free';
    rec.updatedAt = ctx.now();
    occ.set(room.id, (occ.get(room.id) ?? 0) + 1);
    ctx.save(rec);
    ctx.holdRoom(rec);
    placed.push(rec);
    ctx.d.log.info({ alertId: rec.id, roomId: room.id }, 'waiting fever episode assigned a room');
  }
  if (placed.length) ctx.roomsChanged();
  return placed;
}
