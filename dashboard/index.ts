/** The dashboard's public entry (site/site.ts runs it in-process). */
export { ConfigError, loadDashboardConfig, parseDashboardConfig } from './config/load.ts';
export { DashboardConfig, type DashboardConfigInput } from './config/schema.ts';
export { createDashboard, type Dashboard, type DashboardOptions } from './dashboard.ts';
export type { DashboardApp } from './server/app.ts';
export type {
  AccessListImportResult,
  DeviceView,
  NewDeviceInput,
  SiteAdmin,
} from './server/site-admin.ts';
