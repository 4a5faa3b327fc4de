/**
 * Keeps each gate's retained IsolationPlan up to date: the gate names that room in a fever verdict
 * at once, without asking the dashboard. Only plans that changed are published again (a hundred
 * gates must not see a hundred retained messages per fever); `force` re-sends all of them, e.g.
 * after the broker link came back.
 */
import type { IsolationPlan } from '../../protocols/dashboard/messages.ts';
import { SCHEMA_VERSION } from '../../protocols/gate/messages.ts';
import { GateTopic } from '../../protocols/topics.ts';
import type { AlertsDeps, Room } from '../alerts/types.ts';
import { type Occupancy, planRooms } from './assign.ts';

export class PlanPublisher {
  /** gate → room id last published (null: "no room"). */
  private readonly last = new Map<string, string | null>();
  /** gate → room id last published, for planRooms to keep plans steady. */
  private readonly lastRoom = new Map<string, string | null>();

  constructor(private readonly d: Pick<AlertsDeps, 'siteId' | 'publish' | 'now' | 'log'>) {}

  update(rooms: readonly Room[], occ: Occupancy, gateIds: readonly string[], force = false): IsolationPlan[] {
    const sent: IsolationPlan[] = [];
    for (const [gateId, room] of planRooms(rooms, occ, gateIds, this.lastRoom)) {
      const roomId = room?.id ?? null;
      const prev = this.last.get(gateId);
      // A renamed room keeps its id: compare the name too, the terminal shows it.
      const key = room ? `${room.id}\u0000${room.name}` : null;
      if (!force && prev !== undefined && prev === key) continue;
      const plan: IsolationPlan = {
        v: SCHEMA_VERSION,
        siteId: this.d.siteId,
        gateId,
        room: room ? { id: room.id, name: room.name } : null,
        at: this.d.now(),
      };
      this.d.publish(GateTopic.isolation(this.d.siteId, gateId), JSON.stringify(plan), {
        qos: 1,
        retain: true,
      });
      this.last.set(gateId, key);
      this.lastRoom.set(gateId, roomId);
      sent.push(plan);
      if (roomId === null) this.d.log.warn({ gateId }, 'isolation plan: every room is full');
    }
    return sent;
  }
}
