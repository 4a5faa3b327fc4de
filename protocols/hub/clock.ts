/**
 * The hub's clock, published every few seconds on `tg/{siteId}/hub/clock` (QoS 0, never retained:
 * a retained copy would be old by the time a gate reads it and look like skew). Gates compare it
 * with their own clock and warn when they disagree: a gate with a wrong clock dates its readings
 * wrongly, which corrupts HR's twice-daily log.
 */
import { z } from 'zod';
import { SCHEMA_VERSION } from '../gate/messages.ts';
import { ID_PATTERN } from '../topics.ts';

export const HubClock = z.object({
  v: z.literal(SCHEMA_VERSION),
  siteId: z.string().regex(ID_PATTERN),
  /** The hub's wall clock when it published, epoch ms. */
  at: z.number().int().nonnegative(),
});
export type HubClock = z.infer<typeof HubClock>;
