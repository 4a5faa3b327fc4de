/**
 * The site policy: the rules every gate of a site decides with and the calendar HR counts checks
 * against. Owned by the hub (an admin edits it in the dashboard, which asks the hub), published
 * retained on `tg/{site}/policy` as a whole: it is small, so every version is a full snapshot and
 * there are no changes to chain. A gate decides with the last version it holds, persisted, also
 * while the hub is away; every reading records the version and threshold it was decided with.
 */
import { z } from 'zod';

const SCHEMA_VERSION = 1;
const Tenths = z.number().int();
const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
const LocalTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM');

/** What decides at the gate. One place for the defaults: the gate's fallback and the hub's first policy. */
export const SiteRules = z
  .strictObject({
    /** 37.3 °C or more is flagged (the plans' line). */
    feverThresholdTenths: Tenths.min(350).max(400).default(373),
    /** Outside [min, max] a reading is implausible: measure again, never counted as a check. */
    plausibleMinTenths: Tenths.min(300).max(380).default(340),
    plausibleMaxTenths: Tenths.min(370).max(450).default(420),
    maskRequired: z.boolean().default(true),
    healthCodeRequired: z.boolean().default(false),
    accessListRequired: z.boolean().default(true),
    /** A face match below this similarity (0..1) is an unknown face. 0 trusts the terminal's own threshold. */
    minSimilarity: z.number().min(0).max(1).default(0),
  })
  .refine((p) => p.plausibleMinTenths < p.feverThresholdTenths && p.feverThresholdTenths <= p.plausibleMaxTenths, {
    message: 'need plausibleMinTenths < feverThresholdTenths <= plausibleMaxTenths',
    path: ['feverThresholdTenths'],
  });
export type SiteRules = z.infer<typeof SiteRules>;
export const SITE_RULE_KEYS = [
  'feverThresholdTenths',
  'plausibleMinTenths',
  'plausibleMaxTenths',
  'maskRequired',
  'healthCodeRequired',
  'accessListRequired',
  'minSimilarity',
] as const satisfies readonly (keyof SiteRules)[];

/** The working-day calendar: which days people are expected, and where morning ends. */
export const SiteCalendar = z.strictObject({
  /** ISO weekdays (1 = Monday … 7 = Sunday) that are working days. */
  workingDays: z.array(z.number().int().min(1).max(7)).max(7).default([1, 2, 3, 4, 5]),
  /** Public holidays (non-working even on a working weekday). */
  holidays: z.array(IsoDate).max(400).default([]),
  /** Make-up working days (调休) on a weekend. */
  extraWorkingDays: z.array(IsoDate).max(400).default([]),
  /** Local time that splits the morning and the afternoon check. */
  afternoonFrom: LocalTime.default('12:00'),
});
export type SiteCalendar = z.infer<typeof SiteCalendar>;

export const SitePolicy = z.object({
  v: z.literal(SCHEMA_VERSION),
  /** 0 is the built-in default a gate uses before any policy reached it. */
  version: z.number().int().nonnegative(),
  issuedAt: z.number().int().nonnegative(),
  /** Who made this version (`admin:alice`, `hub`). */
  issuedBy: z.string().max(64),
  rules: SiteRules,
  calendar: SiteCalendar,
});
export type SitePolicy = z.infer<typeof SitePolicy>;

/** The built-in policy (version 0): what a gate decides with until a hub publishes one. */
export function defaultSitePolicy(): SitePolicy {
  return {
    v: SCHEMA_VERSION,
    version: 0,
    issuedAt: 0,
    issuedBy: 'default',
    rules: SiteRules.parse({}),
    calendar: SiteCalendar.parse({}),
  };
}

/** Is this local date (YYYY-MM-DD, with its ISO weekday 1..7) a working day? */
export function isWorkingDay(c: SiteCalendar, date: string, isoWeekday: number): boolean {
  if (c.holidays.includes(date)) return false;
  if (c.extraWorkingDays.includes(date)) return true;
  return c.workingDays.includes(isoWeekday);
}

/** A plausible temperature by the rules: the only kind that counts as someone's check. */
export function isPlausible(r: Pick<SiteRules, 'plausibleMinTenths' | 'plausibleMaxTenths'>, tenths: number): boolean {
  return tenths >= r.plausibleMinTenths && tenths <= r.plausibleMaxTenths;
}
