/** Isolation rooms: where flagged people go. Used through the AlertsService (dashboard/alerts). */
export { chooseRoom, distanceOf, FAR_M, hasSpace, type Occupancy, planRooms } from './assign.ts';
export { PlanPublisher } from './plans.ts';
export { RoomStore } from './room-store.ts';
