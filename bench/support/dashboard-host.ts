/**
 * The dashboard server in its own process for the latency benchmark: createDashboard() on the
 * site's hub with a guard account, listening on a free port. Prints `ready PORT` once it is
 * subscribed to the site's topics; SIGTERM closes it.
 *
 *   node --import tsx bench/support/dashboard-host.ts CONFIG.json GUARD_PASSWORD
 */
import { readFileSync } from 'node:fs';
import { createDashboard, parseDashboardConfig } from '../../dashboard/index.ts';

const [file, guardPassword] = process.argv.slice(2) as [string, string];
const config = parseDashboardConfig(JSON.parse(readFileSync(file, 'utf8')));
const d = await createDashboard(config);
await d.core.users.create({
  username: 'guard',
  role: 'guard',
  password: guardPassword,
  displayName: 'Bench guard',
});
const { port } = await d.start();
await d.mqttReady();
process.stdout.write(`ready ${port}\n`);
await new Promise<void>((resolve) => {
  process.once('SIGTERM', resolve);
  process.once('SIGINT', resolve);
});
await d.close();
process.exit(0);
