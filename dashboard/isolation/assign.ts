/**
 * Which room a flagged person goes to, and which room each gate names for its next flagged person.
 * Pure: rooms and their current occupancy in, choices out.
 */
import type { Room } from '../alerts/types.ts';

/** A gate a room does not list is far away (config: "a gate not listed is far"). */
export const FAR_M = 1e6;

export const distanceOf = (room: Room, gateId: string): number => room.distances[gateId] ?? FAR_M;

export type Occupancy = ReadonlyMap<string, number>;

const used = (occ: Occupancy, roomId: string) => occ.get(roomId) ?? 0;

export const hasSpace = (room: Room, occ: Occupancy): boolean => used(occ, room.id) < room.capacity;

/**
 * Nearest to the gate, then the least full (fewest people: isolating people apart is better than
 * filling a shared room), then the rooms' own order. `rank` is the room's index in that order.
 */
function better(a: Room, b: Room, gateId: string, occ: Occupancy, rank: Map<string, number>): number {
  return (
    distanceOf(a, gateId) - distanceOf(b, gateId) ||
    used(occ, a.id) - used(occ, b.id) ||
    (rank.get(a.id) ?? 0) - (rank.get(b.id) ?? 0)
  );
}

const ranks = (rooms: readonly Room[]) => new Map(rooms.map((r, i) => [r.id, i]));

/**
 * The room for a person flagged at `gateId`: the room the gate already told them (`preferredId`,
 * from its isolation plan) while it still has space, else the best free one; undefined when every
 * room is full.
 */
export function chooseRoom(
  rooms: readonly Room[],
  occ: Occupancy,
  gateId: string,
  preferredId?: string | null,
): Room | undefined {
  const preferred = preferredId ? rooms.find((r) => r.id === preferredId) : undefined;
  if (preferred && hasSpace(preferred, occ)) return preferred;
  const rank = ranks(rooms);
  let best: Room | undefined;
  for (const r of rooms) if (hasSpace(r, occ) && (!best || better(r, best, gateId, occ, rank) < 0)) best = r;
  return best;
}

/**
 * The room each gate names for its next flagged person. While free places remain, each gate gets a
 * place of its own (two gates flagging at once must not send two people to a one-person room): the
 * closest gate–room pairs are matched first, each match taking a place. Gates left over once the
 * places are all spoken for share the best room that still has space; null only when none has.
 */
export function planRooms(
  rooms: readonly Room[],
  occ: Occupancy,
  gateIds: readonly string[],
  previous: ReadonlyMap<string, string | null> = new Map(),
): Map<string, Room | null> {
  const rank = ranks(rooms);
  const reserved = new Map(occ);
  const plan = new Map<string, Room | null>();
  const gates = [...new Set(gateIds)].sort();
  // A gate keeps the room it already names while that room still has a place for it and no free
  // room is nearer: re-matching from scratch after every fever would move many gates' plans at
  // once (each a retained message, and a terminal text that changes for no reason).
  for (const gate of gates) {
    const prevId = previous.get(gate);
    const prev = prevId ? rooms.find((r) => r.id === prevId) : undefined;
    if (!prev || !hasSpace(prev, reserved)) continue;
    const nearest = Math.min(...rooms.filter((r) => hasSpace(r, reserved)).map((r) => distanceOf(r, gate)));
    if (distanceOf(prev, gate) > nearest) continue;
    plan.set(gate, prev);
    reserved.set(prev.id, used(reserved, prev.id) + 1);
  }
  for (;;) {
    let pick: { gate: string; room: Room } | undefined;
    for (const gate of gates) {
      if (plan.has(gate)) continue;
      for (const room of rooms) {
        if (!hasSpace(room, reserved)) continue;
        if (!pick) {
          pick = { gate, room };
          continue;
        }
        const d = distanceOf(room, gate) - distanceOf(pick.room, pick.gate);
        if (d < 0 || (d === 0 && pick.gate === gate && better(room, pick.room, gate, reserved, rank) < 0))
          pick = { gate, room };
      }
    }
    if (!pick) break;
    plan.set(pick.gate, pick.room);
    reserved.set(pick.room.id, used(reserved, pick.room.id) + 1);
  }
  for (const gate of gates) if (!plan.has(gate)) plan.set(gate, chooseRoom(rooms, occ, gate) ?? null);
  return plan;
}
