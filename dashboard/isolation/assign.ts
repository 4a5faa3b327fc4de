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
  return bestWithSpace(rooms, occ, gateId, ranks(rooms));
}

function bestWithSpace(
  rooms: readonly Room[],
  occ: Occupancy,
  gateId: string,
  rank: Map<string, number>,
): Room | undefined {
  let best: Room | undefined;
  for (const r of rooms) if (hasSpace(r, occ) && (!best || better(r, best, gateId, occ, rank) < 0)) best = r;
  return best;
}

/**
 * Gates that see the rooms alike: the same distance to every room (most often none listed, so
 * every room is far). They share one list of the rooms by distance and one position in it (places
 * are only taken while planning, so a full room stays full and the position only moves on), their
 * next gate to plan (the first in order: within the group the distances tie), and the room the
 * leftover ones share.
 */
interface Group {
  /** The group's gates, in the plan's gate order. */
  gates: string[];
  /** The first of `gates` not planned yet. */
  next: number;
  /** The rooms, nearest first (ties: the rooms' order). */
  byDistance: Room[];
  /** How far down `byDistance` the rooms are full. */
  skipped: number;
}

/**
 * The room each gate names for its next flagged person. While free places remain, each gate gets a
 * place of its own (two gates flagging at once must not send two people to a one-person room): the
 * closest gate–room pairs are matched first, each match taking a place. Gates left over once the
 * places are all spoken for name rooms that still have space, spread over them (below); null only
 * when none has.
 *
 * Runs on every fever for every gate of the site, so the work goes by groups of gates that see the
 * rooms alike (Group) rather than by gate: a site of 1,000 gates whose rooms list distances for a
 * few gates is a few groups (bench/scale.ts, bench/NOTES.md § Scale). Same plans as gate by gate
 * (assign.test.ts checks it against the rule written out).
 */
export function planRooms(
  rooms: readonly Room[],
  occ: Occupancy,
  gateIds: readonly string[],
  previous: ReadonlyMap<string, string | null> = new Map(),
): Map<string, Room | null> {
  const rank = ranks(rooms);
  const byId = new Map(rooms.map((r) => [r.id, r]));
  const reserved = new Map(occ);
  const plan = new Map<string, Room | null>();
  const gates = [...new Set(gateIds)].sort();
  // Group the gates by their distances to the rooms; a gate no room lists is in the first group.
  const listed = new Set<string>();
  for (const r of rooms) for (const g of Object.keys(r.distances)) listed.add(g);
  const groups = new Map<string, Group>();
  const groupOf = new Map<string, Group>();
  for (const gate of gates) {
    const key = listed.has(gate) ? rooms.map((r) => distanceOf(r, gate)).join(',') : '';
    let group = groups.get(key);
    if (!group) {
      group = {
        gates: [],
        next: 0,
        byDistance: [...rooms].sort((a, b) => distanceOf(a, gate) - distanceOf(b, gate)),
        skipped: 0,
      };
      groups.set(key, group);
    }
    group.gates.push(gate);
    groupOf.set(gate, group);
  }
  const nearestFree = (group: Group): Room | undefined => {
    const list = group.byDistance;
    while (group.skipped < list.length && !hasSpace(list[group.skipped] as Room, reserved)) group.skipped++;
    return list[group.skipped];
  };
  // A gate keeps the room it already names while that room still has a place for it and no free
  // room is nearer: re-matching from scratch after every fever would move many gates' plans at
  // once (each a retained message, and a terminal text that changes for no reason).
  for (const gate of gates) {
    const prevId = previous.get(gate);
    const prev = prevId ? byId.get(prevId) : undefined;
    if (!prev || !hasSpace(prev, reserved)) continue;
    const nearest = nearestFree(groupOf.get(gate) as Group);
    if (nearest && distanceOf(prev, gate) > distanceOf(nearest, gate)) continue;
    plan.set(gate, prev);
    reserved.set(prev.id, used(reserved, prev.id) + 1);
  }
  // Then the closest gate–room pair, one place at a time: the first gate (in order) whose nearest
  // free room is the nearest of all, and of its rooms at that distance the least full, then the
  // rooms' own order. Within a group that gate is its first one not planned yet.
  const order = new Map(gates.map((g, i) => [g, i]));
  for (;;) {
    let gate: string | undefined;
    let group: Group | undefined;
    let distance = Number.POSITIVE_INFINITY;
    for (const gr of groups.values()) {
      while (gr.next < gr.gates.length && plan.has(gr.gates[gr.next] as string)) gr.next++;
      const g = gr.gates[gr.next];
      if (g === undefined) continue;
      const r = nearestFree(gr);
      if (!r) continue;
      const d = distanceOf(r, g);
      if (
        d < distance ||
        (d === distance && (order.get(g) as number) < (order.get(gate as string) as number))
      ) {
        gate = g;
        group = gr;
        distance = d;
      }
    }
    if (gate === undefined || group === undefined) break;
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
  // The gates left over once the places are all spoken for name rooms with real space: the room a
  // gate already names while it is as near as any with real space, else the nearest room with the
  // fewest gates naming it per free place (then the least full, then the rooms' order), so they
  // spread over the rooms in proportion to their places. They all shared the best room before:
  // each fever changed which room that was, and at 1,000 gates the dashboard sent 1,000–3,000
  // retained plans a second through the hub, more than the passages themselves (bench/scale.ts,
  // bench/NOTES.md § Scale, fifth round). Now a fever moves a few plans, and a room filling up
  // moves the gates that named it.
  const named = new Map<string, number>();
  for (const r of plan.values()) if (r) named.set(r.id, (named.get(r.id) ?? 0) + 1);
  const nearestOpen = new Map<Group, Room[]>();
  const openFor = (gate: string): Room[] => {
    const group = groupOf.get(gate) as Group;
    let open = nearestOpen.get(group);
    if (!open) {
      const withSpace = rooms.filter((r) => hasSpace(r, occ));
      const d = Math.min(...withSpace.map((r) => distanceOf(r, gate)));
      open = withSpace.filter((r) => distanceOf(r, gate) === d);
      nearestOpen.set(group, open);
    }
    return open;
  };
  const take = (gate: string, room: Room) => {
    plan.set(gate, room);
    named.set(room.id, (named.get(room.id) ?? 0) + 1);
  };
  const leftover = gates.filter((g) => !plan.has(g));
  for (const gate of leftover) {
    const prev = byId.get(previous.get(gate) ?? '');
    if (prev && openFor(gate).includes(prev)) take(gate, prev);
  }
  /** Fewer gates per free place first: a·freeB < b·freeA, whole numbers only. */
  const lessCrowded = (a: Room, b: Room) =>
    (named.get(a.id) ?? 0) * (b.capacity - used(occ, b.id)) -
    (named.get(b.id) ?? 0) * (a.capacity - used(occ, a.id));
  for (const gate of leftover) {
    if (plan.has(gate)) continue;
    let best: Room | undefined;
    for (const r of openFor(gate))
      if (
        !best ||
        (lessCrowded(r, best) ||
          used(occ, r.id) - used(occ, best.id) ||
          (rank.get(r.id) ?? 0) - (rank.get(best.id) ?? 0)) < 0
      )
        best = r;
    if (best) take(gate, best);
    else plan.set(gate, null);
  }
  return plan;
}
