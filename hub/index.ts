/** The hub's public API, for the dashboard and other in-process users. */
export {
  createHub,
  type FleetApi,
  type Hub,
  type HubOptions,
  type SecurityApi,
  SOFTWARE_VERSION,
} from './hub.ts';
export { loadHubConfig, parseHubConfig, accessListPath } from './config/load.ts';
export type { HubConfig, HubConfigInput } from './config/schema.ts';
export { HubError, HubErrorCode, Refusal } from './errors.ts';
export type { ImportResult } from './access-list/store.ts';
export type { ClientCounters } from './broker/client-stats.ts';
export type { FleetAlert } from './fleet/monitor.ts';
