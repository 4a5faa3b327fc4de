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
  // Each gate's rooms by distance, and how far down that list the rooms are full: places are only
  // taken while planning, so a full room stays full and the pointer only moves on. This keeps a
  // plan for 1,000 gates and 50 rooms cheap enough to run on every fever (bench/scale.ts).
  const byDistance = new Map(
    gates.map((g) => [g, [...rooms].sort((a, b) => distanceOf(a, g) - distanceOf(b, g))]),
  );
  const skipped = new Map<string, number>();
  const nearestFree = (gate: string): Room | undefined => {
    const list = byDistance.get(gate) as Room[];
    let i = skipped.get(gate) ?? 0;
    while (i < list.length && !hasSpace(list[i] as Room, reserved)) i++;
    skipped.set(gate, i);
    return list[i];
  };
  // A gate keeps the room it already names while that room still has a place for it and no free
  // room is nearer: re-matching from scratch after every fever would move many gates' plans at
  // once (each a retained message, and a terminal text that changes for no reason).
  for (const gate of gates) {
    const prevId = previous.get(gate);
    const prev = prevId ? rooms.find((r) => r.id === prevId) : undefined;
    if (!prev || !hasSpace(prev, reserved)) continue;
    const nearest = nearestFree(gate);
    if (nearest && distanceOf(prev, gate) > distanceOf(nearest, gate)) continue;
    plan.set(gate, prev);
    reserved.set(prev.id, used(reserved, prev.id) + 1);
  }
  // Then the closest gate–room pair, one place at a time: the first gate (in order) whose nearest
  // free room is the nearest of all, and of its rooms at that distance the least full, then the
  // rooms' own order.
  for (;;) {
    let gate: string | undefined;
    let distance = Number.POSITIVE_INFINITY;
    for (const g of gates) {
      if (plan.has(g)) continue;
      const r = nearestFree(g);
      if (r && distanceOf(r, g) < distance) {
        gate = g;
        distance = distanceOf(r, g);
      }
    }
    if (gate === undefined) break;
    let room: Room | undefined;
    for (const r of rooms)
      if (
        hasSpace(r, reserved) &&
        distanceOf(r, gate) === distance &&
        (!room || better(r, room, gate, reserved, rank) < 0)
      )
        room = r;
    const picked = room as Room;
    plan.set(gate, picked);
    reserved.set(picked.id, used(reserved, picked.id) + 1);
  }
  for (const gate of gates) if (!plan.has(gate)) plan.set(gate, chooseRoom(rooms, occ, gate) ?? null);
  return plan;
}
