/**
 * Topics the site hub adds to the ones in ../topics.ts. Kept here until they are folded into that
 * file; ids follow the same ID_PATTERN so they never contain wildcards.
 */
export const HubTopic = {
  /** Retained fleet snapshot (QoS 0: only the latest matters, nothing queues up for offline readers). */
  fleet: (siteId: string) => `tg/${siteId}/fleet`,
  /** Alerts about devices that belong to no known gate (e.g. a terminal no gate claims), QoS 1. */
  alert: (siteId: string) => `tg/${siteId}/hub/alert`,
} as const;
