/**
 * The dashboard server of the browser tests' site: the real `createDashboard` with a temporary
 * data dir, the edges' SQLite readings, two isolation rooms, and one user per role. It can be
 * stopped and started again on the same port (a server restart, as the browser sees it).
 */
import { join } from 'node:path';
import { parseDashboardConfig } from '../../../dashboard/config/load.ts';
import type { DashboardConfigInput } from '../../../dashboard/config/schema.ts';
import { UserStore } from '../../../dashboard/auth/users.ts';
import { createDashboard } from '../../../dashboard/dashboard.ts';
import { createManualReadingSink } from '../../../dashboard/store/manual-sink.ts';
import type { ReadingRecord } from '../../../protocols/gate/messages.ts';
import { openDatabase } from '../../../dashboard/db/open.ts';
import type { SiteAdmin } from '../../../dashboard/server/site-admin.ts';
import { siteAdminFor } from '../../../site/site.ts';
import { freePort } from '../../harness/ports.ts';
import { waitFor } from '../../harness/wait.ts';
import { FAST_SCRYPT } from '../../hub/fixture.ts';
import { PEOPLE, SITE, type SiteParts } from './site.ts';

/** Shanghai's calendar day `daysAgo` days before now, "YYYY-MM-DD". */
function shanghaiDay(daysAgo: number): string {
  return new Date(Date.now() + 8 * 3_600_000 - daysAgo * 86_400_000).toISOString().slice(0, 10);
}

/**
 * A week of gate readings before today, morning and afternoon, with a few checks missing: what a
 * site has in its store after some days, so the HR pages show a real log (and its gaps).
 */
export async function seedHistory(readingsPath: string): Promise<void> {
  const sink = createManualReadingSink({ kind: 'sqlite', path: readingsPath });
  const rs: ReadingRecord[] = [];
  const skip = new Set(['E2:3:am', 'E4:2:am', 'E4:2:pm', 'E3:5:pm', 'E1:6:am']);
  let seq = 0;
  for (let d = 7; d >= 1; d--) {
    const day = shanghaiDay(d);
    PEOPLE.forEach((p, i) => {
      for (const [half, hhmm] of [
        ['am', `08:${String(5 + i * 3).padStart(2, '0')}`],
        ['pm', `13:${String(31 + i * 4).padStart(2, '0')}`],
      ] as const) {
        if (skip.has(`${p.employeeNo}:${d}:${half}`)) continue;
        const at = Date.parse(`${day}T${hhmm}:00+08:00`);
        const t = 360 + ((d * 7 + i * 3 + (half === 'pm' ? 2 : 0)) % 9);
        const gateId = half === 'am' ? 'gate-a' : 'gate-b';
        rs.push({
          v: 1,
          id: `${SITE}:${gateId}:seed-${++seq}`,
          siteId: SITE,
          gateId,
          seq,
          at,
          recordedAt: at,
          employeeNo: p.employeeNo,
          temperatureTenths: t,
          rawTenths: t,
          offsetTenths: 0,
          ambientTenths: 251,
          source: half === 'am' ? 'gate-thermometer' : 'terminal',
          sensor: half === 'am' ? 'modbus-ir' : 'terminal',
          sensorSeq: seq,
          decision: 'pass',
          reason: 'ok',
          mask: 'yes',
          pairingDelayMs: 120,
          terminalId: half === 'am' ? 'T1' : 'T2',
          terminalSerialNo: seq,
          realtime: true,
          released: true,
          enteredBy: null,
          policyVersion: null,
          thresholdTenths: null,
        });
      }
    });
  }
  await sink.writeMany(rs);
  await sink.close();
}

/**
 * The hub's admin functions as the dashboard sees them: exactly what the site process hands its
 * dashboard (site/site.ts siteAdminFor), with the tests' cheap scrypt. (This was a copy once, and
 * the copy filled in the site the product forgot: the admin page could not add a gate.)
 */
export function hubSiteAdmin(site: SiteParts): SiteAdmin {
  return siteAdminFor(
    site.hub.hub,
    { credentialsFile: site.hub.credentialsFile, siteId: SITE },
    { scrypt: FAST_SCRYPT },
  );
}

export const USERS = {
  guard: { username: 'guard1', password: 'guard-password-1', role: 'guard', displayName: '王保安' },
  hr: { username: 'hr1', password: 'hr-password-1', role: 'hr', displayName: '陈人事' },
  admin: { username: 'admin1', password: 'admin-password-1', role: 'admin', displayName: '管理员' },
} as const;

export interface RunningDashboard {
  url: string;
  /** Stops the server (browsers see the connection drop). */
  stop(): Promise<void>;
  /** Starts it again with the same data and port. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startSiteDashboard(site: SiteParts): Promise<RunningDashboard> {
  const dataDir = join(site.dir, 'dashboard');
  const port = await freePort();
  const input: DashboardConfigInput = {
    siteId: SITE,
    siteName: '一号厂区',
    timezone: 'Asia/Shanghai',
    http: { host: '127.0.0.1', port, secureCookies: false, publicMetrics: true },
    dataDir,
    mqtt: {
      url: site.hub.url,
      username: 'dash',
      password: site.hub.passwords.dash as string,
      clientId: 'dash',
    },
    readings: { kind: 'sqlite', path: site.readingsPath },
    rooms: [
      { id: 'A1', name: '隔离室 A1', capacity: 1, distances: { 'gate-a': 20, 'gate-b': 200 } },
      { id: 'B1', name: '隔离室 B1', capacity: 1, distances: { 'gate-a': 200, 'gate-b': 20 } },
    ],
    commands: { ackTimeoutMs: 5000 },
    logLevel: 'silent',
  };
  const config = parseDashboardConfig(input);

  await seedHistory(site.readingsPath);
  const db = openDatabase(dataDir);
  const users = new UserStore(db, { scrypt: FAST_SCRYPT });
  for (const u of Object.values(USERS)) await users.create({ ...u });
  db.close();

  const url = `http://127.0.0.1:${port}`;
  let running: Awaited<ReturnType<typeof createDashboard>> | null = null;
  const start = async () => {
    running = await createDashboard(config, {
      siteAdmin: hubSiteAdmin(site),
      scrypt: FAST_SCRYPT,
      mqttReconnectMs: 200,
    });
    await running.start();
    await running.mqttReady();
    await waitFor(async () => (await fetch(`${url}/healthz`)).ok, {
      what: 'dashboard /healthz',
      timeoutMs: 10_000,
    });
  };
  const stop = async () => {
    await running?.close();
    running = null;
  };
  await start();
  return { url, stop, restart: start, close: stop };
}
