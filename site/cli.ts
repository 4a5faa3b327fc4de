/**
 * `npm run hub -- ...`: run the hub, manage device credentials, import the access list.
 * Exit codes: 0 done, 1 failure at run time, 2 bad configuration or arguments, 3 input refused.
 */
import { parseArgs } from 'node:util';
import { accessListCommand } from '../hub/cli/access-list.ts';
import { deviceCommand } from '../hub/cli/device.ts';
import { holdCommand, policyCommand } from '../hub/cli/holds.ts';
import { HELP } from '../hub/cli/help.ts';
import { loadHubConfig } from '../hub/config/load.ts';
import type { HubConfig } from '../hub/config/schema.ts';
import { HubError, HubErrorCode } from '../hub/errors.ts';
import { ConfigError, describeConfigError } from '../kernel/config.ts';
import { startSite } from './site.ts';

const OPTIONS = {
  config: { type: 'string' },
  check: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  credentials: { type: 'string' },
  id: { type: 'string' },
  role: { type: 'string' },
  site: { type: 'string' },
  gate: { type: 'string' },
  terminal: { type: 'string' },
  'client-id': { type: 'string', multiple: true },
  'password-file': { type: 'string' },
  json: { type: 'boolean' },
  csv: { type: 'string' },
  employee: { type: 'string' },
  reason: { type: 'string' },
  note: { type: 'string' },
  'return-date': { type: 'string' },
  by: { type: 'string' },
  file: { type: 'string' },
} as const;

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; args: string[] }>
  >;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    process.stderr.write(`${HubErrorCode.BAD_ARGS}: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const [command, sub] = positionals;
  const config = (): HubConfig => {
    if (!v.config) throw new HubError(HubErrorCode.BAD_ARGS, '--config FILE is required');
    return loadHubConfig(v.config);
  };

  if (command === 'device') {
    const credentials = v.credentials ?? (v.config ? config().credentialsFile : undefined);
    if (!credentials)
      throw new HubError(HubErrorCode.BAD_ARGS, '--credentials FILE (or --config FILE) is required');
    await deviceCommand(
      sub,
      {
        credentials,
        id: v.id,
        role: v.role,
        site: v.site,
        gate: v.gate,
        terminal: v.terminal,
        clientIds: v['client-id'],
        passwordFile: v['password-file'],
        json: v.json,
      },
      process.stdout,
      process.stderr,
    );
    return 0;
  }
  if (command === 'hold' || command === 'policy') {
    const args = {
      employee: v.employee,
      reason: v.reason,
      note: v.note,
      returnDate: v['return-date'],
      by: v.by,
      file: v.file,
      json: v.json,
    };
    if (command === 'hold') holdCommand(sub, config(), args, process.stdout);
    else policyCommand(sub, config(), args, process.stdout);
    return 0;
  }
  if (command === 'access-list') {
    accessListCommand(sub, config(), { csv: v.csv }, process.stdout, process.stderr);
    return 0;
  }
  if (command !== undefined)
    throw new HubError(HubErrorCode.BAD_ARGS, `unknown command ${JSON.stringify(command)}`);

  const cfg = config();
  if (v.check) {
    process.stdout.write(`${v.config}: valid (site ${cfg.siteId})\n`);
    return 0;
  }
  const site = await startSite(cfg);
  if (site.dashboardPort !== undefined)
    process.stdout.write(`dashboard on http://${site.dashboard?.config.http.host}:${site.dashboardPort}/\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await site.close();
  return 0;
}

/** Which exit code an error means; see the header. */
function exitCodeFor(e: unknown): number {
  // The hub's (TG_HUB_CONFIG_INVALID) and the dashboard's (TG_CONFIG_INVALID) config.
  if (e instanceof ConfigError) return 2;
  if (!(e instanceof HubError)) return 1;
  switch (e.code) {
    case HubErrorCode.BAD_ARGS:
    case HubErrorCode.CREDENTIALS_INVALID:
    case HubErrorCode.TLS_FILES:
      return 2;
    case HubErrorCode.ACCESS_LIST_INVALID:
    case HubErrorCode.DEVICE_CONFLICT:
    case HubErrorCode.ACCESS_LIST_LOCKED:
    case HubErrorCode.HOLD_NOT_FOUND:
    case HubErrorCode.HOLD_NEWER_FLAG:
    case HubErrorCode.REQUEST_INVALID:
    case HubErrorCode.POLICY_CONFLICT:
      return 3;
    default:
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof ConfigError) process.stderr.write(describeConfigError(e));
    else if (e instanceof HubError) {
      const head = !e.issues.length
        ? e.message
        : `${e.code}: nothing imported, ${e.issues.length} problem(s)`;
      process.stderr.write(`${head}\n`);
      for (const i of e.issues)
        process.stderr.write(
          `  ${e.code === HubErrorCode.ACCESS_LIST_INVALID ? (i.where ? `line ${i.where}` : '(file)') : i.where || '(root)'}: ${i.reason}\n`,
        );
    } else process.stderr.write(`TG_HUB_FATAL: ${(e as Error).stack ?? e}\n`);
    process.exit(exitCodeFor(e));
  },
);
