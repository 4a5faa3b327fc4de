/** The `detail` line of an AlertState: the device's text plus where the alert stands now. */
import type { AlertRecord } from './store.ts';

export const DETAIL_MAX = 500;

export function describe(
  r: AlertRecord,
  roomName: (id: string) => string | undefined,
  roomsConfigured: boolean,
): string {
  const parts: string[] = [r.sourceDetail];
  const room = r.roomId ? `${roomName(r.roomId) ?? r.roomId} (${r.roomId})` : '';
  switch (r.stage) {
    case 'assigned':
      parts.push(`go to isolation room ${room}`);
      break;
    case 'waiting-for-room':
      parts.push(
        roomsConfigured
          ? 'every isolation room is full: waiting for a room'
          : 'no isolation room is set up: waiting for a room',
      );
      break;
    case 'arrived':
    case 'rechecked':
      parts.push(`in isolation room ${room}`);
      break;
    case 'closed':
      if (room) parts.push(`was in isolation room ${room}`);
      break;
  }
  if (r.conditionActive === false && r.state !== 'cleared')
    parts.push('condition over, waiting for acknowledgement');
  if (r.note) parts.push(r.note);
  const text = parts.filter(Boolean).join('; ');
  return text.length > DETAIL_MAX ? `${text.slice(0, DETAIL_MAX - 1)}…` : text;
}
