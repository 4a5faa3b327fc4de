/**
 * An alert's detail line in the page's language, said from its kind and structured fields
 * (`facts`, stage, room), never by translating the gate's English `detail` text: a gate's texts
 * may change, be in either language (terminal-clock is written in the gate's own language), or be
 * cut at 500 characters, and matching English sentences breaks silently (issue #18).
 */
import { fmtTempC } from '../format.ts';
import { type Key, t } from '../i18n.ts';
import type { AlertState } from '../types.ts';

export interface DetailContext {
  /** The gate's face terminal's clock offset, ms (from the gate's status), if known. */
  clockOffsetMs?: number | null;
  /** Whether any isolation room is set up (waiting for a room reads differently without any). */
  roomsConfigured?: boolean;
}

export function alertDetailText(a: AlertState, c: DetailContext = {}): string {
  const f = a.facts;
  const parts: string[] = [];
  if (a.kind === 'gate-offline') {
    const device = f?.device ?? 'gate';
    parts.push(t(`alertDetail.gate-offline.${device}` as Key, { id: f?.deviceId ?? a.gateId }));
  } else if (a.kind === 'terminal-clock' && typeof c.clockOffsetMs === 'number') {
    parts.push(t('alertDetail.terminal-clock.offset', { s: (c.clockOffsetMs / 1000).toFixed(1) }));
  } else {
    parts.push(t(`alertDetail.${a.kind}` as Key));
  }
  if (a.stage === 'waiting-for-room')
    parts.push(c.roomsConfigured === false ? t('alertDetail.noRooms') : t('alertDetail.waiting'));
  if (f?.recheckTenths !== null && f?.recheckTenths !== undefined)
    parts.push(t('alertDetail.recheck', { temp: fmtTempC(f.recheckTenths) }));
  if (f?.conditionActive === false && a.state !== 'cleared') parts.push(t('alertDetail.conditionOver'));
  if (f?.userNote) parts.push(t('alertDetail.note', { note: f.userNote }));
  return parts.join('；');
}
