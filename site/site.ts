/**
 * The site process: the hub (broker, fleet, access list, OPC UA) and, when the hub config names a
 * dashboard config file, the dashboard in the same process. The dashboard still meets the gates
 * only on MQTT (it logs in as its own `dashboard` device); what it gets from here is the SiteAdmin
 * adapter (HR's access list import, device credentials), which needs the hub's files.
 */
import type { FastifyPluginAsync } from 'fastify';
import {
  createDashboard,
  type Dashboard,
  type DashboardConfig,
  loadDashboardConfig,
  type SiteAdmin,
} from '../dashboard/index.ts';
import { CredentialsStore } from '../hub/auth/credentials.ts';
import type { HubConfig } from '../hub/config/schema.ts';
import { HubError, HubErrorCode } from '../hub/errors.ts';
import { ConfigError } from '../kernel/config.ts';
import type { ScryptParams } from '../kernel/scrypt.ts';
import { createHub, type Hub, type HubOptions } from '../hub/hub.ts';

export interface Site {
  hub: Hub;
  dashboard: Dashboard | undefined;
  /** The dashboard's HTTP port once listening. */
  dashboardPort: number | undefined;
  close(): Promise<void>;
}

export interface SiteOptions extends HubOptions {
  /** Extra dashboard route plugins (the web pages). */
  dashboardPlugins?: FastifyPluginAsync[];
  /** Overrides of the loaded dashboard config (tests: ports, data folders). */
  dashboardPatch?: (c: DashboardConfig) => DashboardConfig;
}

/** Roles bound to a site: their ACL is built from it (hub/auth/acl.ts). */
const SITE_BOUND = new Set(['gate', 'dashboard']);

/** Access list import and device credentials, through the same files the hub's CLI uses. */
export function siteAdminFor(
  hub: Hub,
  config: Pick<HubConfig, 'credentialsFile' | 'siteId'>,
  opts: { scrypt?: ScryptParams } = {},
): SiteAdmin {
  const credentials = () =>
    new CredentialsStore(config.credentialsFile, opts.scrypt).load({ allowMissing: true });
  const imported = async (apply: () => Promise<{ version: number; entries: number }>) => {
    try {
      const r = await apply();
      return { version: r.version, entries: r.entries };
    } catch (e) {
      if (e instanceof HubError && e.code === HubErrorCode.ACCESS_LIST_INVALID)
        return {
          errors: e.issues.map((i) => ({ line: Number.parseInt(i.where, 10) || 0, message: i.reason })),
        };
      throw e;
    }
  };
  return {
    importAccessList: (csv) => imported(() => hub.accessList.importCsv(csv)),
    putAccessEntries: (entries, o) => imported(() => hub.accessList.putEntries(entries, o)),
    async listDevices() {
      return credentials()
        .list()
        .map((d) => ({
          id: d.id,
          role: d.role,
          ...(d.site ? { site: d.site } : {}),
          ...(d.gate ? { gate: d.gate } : {}),
          ...(d.terminal ? { terminal: d.terminal } : {}),
          createdAt: d.createdAt,
          revokedAt: d.revokedAt,
        }));
    },
    async addDevice(input) {
      // A gate or dashboard belongs to this hub's site. The admin page sends no site, and every
      // gate added from it failed validation ("site: required for role gate") while a test's own
      // copy of this adapter filled the site in.
      if (input.site !== undefined && input.site !== config.siteId)
        throw new HubError(
          HubErrorCode.CREDENTIALS_INVALID,
          `site: this hub serves site ${config.siteId}, not ${input.site}`,
        );
      const site = SITE_BOUND.has(input.role) ? { site: config.siteId } : {};
      // 24 random bytes: the password is shown once and pasted into the device's config.
      const { password } = await credentials().addGenerated({ ...input, ...site });
      return { password };
    },
    async revokeDevice(id) {
      credentials().revoke(id);
    },
  };
}

export async function startSite(config: HubConfig, opts: SiteOptions = {}): Promise<Site> {
  const hub = await createHub(config, opts);
  const { port } = await hub.listen();
  let dashboard: Dashboard | undefined;
  let dashboardPort: number | undefined;
  try {
    if (config.dashboardConfigFile) {
      let dc = loadDashboardConfig(config.dashboardConfigFile);
      if (dc.siteId !== config.siteId)
        throw new ConfigError(
          config.dashboardConfigFile,
          [{ path: 'siteId', message: `must be ${config.siteId}, the hub's site (not ${dc.siteId})` }],
          HubErrorCode.CONFIG_INVALID,
        );
      if (dc.mqtt.url === 'internal') {
        if (port === undefined)
          throw new ConfigError(
            config.dashboardConfigFile,
            [
              {
                path: 'mqtt.url',
                message:
                  '"internal" needs the hub\'s plaintext listener (mqtt.plaintext): enable it, or use a mqtts:// url',
              },
            ],
            HubErrorCode.CONFIG_INVALID,
          );
        dc = { ...dc, mqtt: { ...dc.mqtt, url: `mqtt://127.0.0.1:${port}` } };
      }
      if (opts.dashboardPatch) dc = opts.dashboardPatch(dc);
      dashboard = await createDashboard(dc, {
        siteAdmin: siteAdminFor(hub, config),
        ...(opts.dashboardPlugins ? { plugins: opts.dashboardPlugins } : {}),
      });
      dashboardPort = (await dashboard.start()).port;
    }
  } catch (e) {
    await dashboard?.close().catch(() => {});
    await hub.close();
    throw e;
  }
  return {
    hub,
    dashboard,
    dashboardPort,
    async close() {
      await dashboard?.close();
      await hub.close();
    },
  };
}
