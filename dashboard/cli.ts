/**
 * `npx tsx dashboard/cli.ts ...` (npm run dashboard -- ...): run the dashboard, manage accounts.
 * Exit codes: 0 done, 1 failure at run time, 2 bad configuration or arguments, 3 refused.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { AuditLog } from './audit/audit-log.ts';
import { SessionStore } from './auth/sessions.ts';
import { Lang, Role, UserStore } from './auth/users.ts';
import { HELP, USER_HELP } from './cli-help.ts';
import { describeConfigError } from '../kernel/config.ts';
import { ConfigError, loadDashboardConfig } from './config/load.ts';
import type { DashboardConfig } from './config/schema.ts';
import { openDatabase } from './db/open.ts';
import { DashboardError } from './server/errors.ts';

const OPTIONS = {
  config: { type: 'string' },
  check: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  username: { type: 'string' },
  role: { type: 'string' },
  'display-name': { type: 'string' },
  lang: { type: 'string' },
  'password-file': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const BAD_ARGS = 'TG_DASH_BAD_ARGS';
class ArgsError extends Error {}

async function readPassword(file: string | undefined): Promise<string> {
  if (file) {
    try {
      return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new ArgsError(`--password-file ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
  }
  const stdin = process.stdin;
  if (stdin.isTTY) return promptHidden('password: ');
  let text = '';
  for await (const chunk of stdin) text += chunk;
  return text.split(/\r?\n/)[0] ?? '';
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (s: string) => {
      for (const ch of s) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new ArgsError('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function userCommand(
  sub: string | undefined,
  v: Record<string, string | boolean | undefined>,
  cfg: DashboardConfig,
): Promise<void> {
  const db = openDatabase(cfg.dataDir);
  try {
    const users = new UserStore(db);
    const sessions = new SessionStore(db, { idleMs: cfg.session.idleMinutes * 60_000 });
    const audit = new AuditLog(db);
    const actor = { username: `cli:${userInfo().username}`, role: 'system' as const };
    const username = () => {
      if (typeof v.username !== 'string' || !v.username) throw new ArgsError('--username NAME is required');
      return v.username;
    };
    switch (sub) {
      case 'add': {
        const name = username();
        const role = Role.safeParse(v.role);
        if (!role.success) throw new ArgsError('--role must be guard, hr or admin');
        const lang = v.lang === undefined ? undefined : Lang.safeParse(v.lang);
        if (lang && !lang.success) throw new ArgsError('--lang must be zh-CN or en');
        const password = await readPassword(v['password-file'] as string | undefined);
        const u = await users.create({
          username: name,
          password,
          role: role.data,
          ...(typeof v['display-name'] === 'string' ? { displayName: v['display-name'] } : {}),
          ...(lang?.success ? { lang: lang.data } : {}),
        });
        audit.write(actor, 'user.create', u.username, { role: u.role, displayName: u.displayName });
        process.stderr.write(`added ${u.username} (role ${u.role}) to ${cfg.dataDir}\n`);
        return;
      }
      case 'list': {
        const list = users.list();
        if (v.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        else
          for (const u of list)
            process.stdout.write(
              `${u.username}\t${u.role}\t${u.displayName}\t${u.lang}\t${u.disabled ? 'disabled' : 'active'}\n`,
            );
        return;
      }
      case 'passwd': {
        const name = username();
        if (!users.get(name)) throw new DashboardError('TG_DASH_USER_NOT_FOUND', 404, `no user ${name}`);
        const password = await readPassword(v['password-file'] as string | undefined);
        await users.update(name, { password });
        sessions.destroyUser(name);
        audit.write(actor, 'user.update', name, { passwordChanged: true });
        process.stderr.write(`password of ${name} changed; its sessions ended\n`);
        return;
      }
      case 'disable':
      case 'enable': {
        const name = username();
        await users.update(name, { disabled: sub === 'disable' });
        if (sub === 'disable') sessions.destroyUser(name);
        audit.write(actor, 'user.update', name, { disabled: sub === 'disable' });
        process.stderr.write(`${name} ${sub}d\n`);
        return;
      }
      default:
        throw new ArgsError(
          `unknown user command ${JSON.stringify(sub ?? '')}: add, list, passwd, disable or enable`,
        );
    }
  } finally {
    db.close();
  }
}

async function run(cfg: DashboardConfig): Promise<void> {
  // Imported here so the user commands start fast and need none of the server's modules.
  const { createDashboard } = await import('./dashboard.ts');
  const d = await createDashboard(cfg);
  await d.start();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await d.close();
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; args: string[] }>
  >;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    process.stderr.write(`${BAD_ARGS}: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  const [command, sub] = positionals;
  if (v.help) {
    process.stdout.write(command === 'user' ? USER_HELP : HELP);
    return 0;
  }
  if (command !== undefined && command !== 'user')
    throw new ArgsError(`unknown command ${JSON.stringify(command)}`);
  if (!v.config) throw new ArgsError('--config FILE is required');
  const cfg = loadDashboardConfig(v.config);
  if (command === 'user') {
    await userCommand(sub, v, cfg);
    return 0;
  }
  if (v.check) {
    process.stdout.write(`${v.config}: valid (site ${cfg.siteId})\n`);
    return 0;
  }
  await run(cfg);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof ConfigError) {
      process.stderr.write(describeConfigError(e));
      process.exit(2);
    }
    if (e instanceof ArgsError) {
      process.stderr.write(`${BAD_ARGS}: ${e.message}\n\n${HELP}`);
      process.exit(2);
    }
    if (e instanceof DashboardError) {
      process.stderr.write(`${e.code}: ${e.message}\n`);
      process.exit(e.statusCode >= 500 ? 1 : 3);
    }
    process.stderr.write(`TG_DASH_FATAL: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
