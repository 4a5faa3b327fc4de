/**
 * Person holds as the pages show them (GET /api/holds, the feed's `holds` event). The room is the
 * hold's own, which the hub took from the gate's verdict (or the dashboard's later move), so the
 * guard's card says what the gate told the person. Pure: unit-tested.
 */
import type { HoldStage, PersonHold } from '../../../protocols/site/holds.ts';
import { t } from './i18n.ts';

export type { PersonHold };
export type { HoldRequestView, HoldsAnswer } from './types.ts';

export const stageText = (stage: HoldStage): string => t(`hold.stage.${stage}`);

/** "临时隔离室 隔离室 A2", or the isolation area when the gate named no room. */
export const roomText = (h: Pick<PersonHold, 'room'>): string =>
  h.room ? t('hold.room', { room: h.room.name }) : t('hold.area');

/** Active holds by employee number (the board's cards look the person up). */
export function activeByPerson(holds: readonly PersonHold[]): Map<string, PersonHold> {
  return new Map(holds.filter((h) => h.state === 'active').map((h) => [h.employeeNo, h]));
}

/** A feed `holds` event: `{ version, holds }` (active ones). */
export function fromFeed(data: unknown): PersonHold[] | null {
  const d = data as { holds?: unknown };
  return Array.isArray(d?.holds) ? (d.holds as PersonHold[]) : null;
}
