/**
 * What the dashboard needs from the site hub for its admin pages: importing HR's access list and
 * managing device credentials. The hub process (site/site.ts) implements it and hands it to
 * createDashboard; a dashboard running without it answers those routes with 503
 * TG_DASH_SITE_ADMIN_UNAVAILABLE. Kept as an interface so dashboard/ never imports hub/.
 */
import type { AccessEntry } from '../../protocols/gate/access-list.ts';

export type DeviceRole = 'gate' | 'terminal' | 'dashboard' | 'service';

export interface DeviceView {
  id: string;
  role: DeviceRole;
  site?: string;
  gate?: string;
  terminal?: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface NewDeviceInput {
  id: string;
  role: DeviceRole;
  site?: string;
  gate?: string;
  terminal?: string;
}

export type AccessListImportResult =
  | { version: number; entries: number }
  | { errors: Array<{ line: number; message: string }> };

export interface SiteAdmin {
  /** HR's CSV; nothing is applied unless every line is good. */
  importAccessList(csv: string): Promise<AccessListImportResult>;
  /**
   * Puts entries in on top of the hub's current list (same employee number: replaced) and drops
   * visitors whose visit ended before `dropVisitorsEndedBefore`; the hub reads and writes its own
   * list, so an HR import or another admission a moment before is never undone.
   */
  putAccessEntries(
    entries: AccessEntry[],
    o: { dropVisitorsEndedBefore?: number },
  ): Promise<AccessListImportResult>;
  listDevices(): Promise<DeviceView[]>;
  /** Returns the generated password, shown once. Throws on a bad or duplicate device. */
  addDevice(input: NewDeviceInput): Promise<{ password: string }>;
  revokeDevice(id: string): Promise<void>;
}
