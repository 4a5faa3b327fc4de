export const HELP = `ThermoGate dashboard: the site's guards, HR and admins.

Usage:
  npx tsx dashboard/cli.ts --config FILE [--check]
      Run the dashboard until SIGINT/SIGTERM (--check: validate the configuration and exit).

  npx tsx dashboard/cli.ts user add --config FILE --username NAME --role guard|hr|admin
                 [--display-name TEXT] [--lang zh-CN|en] [--password-file F]
      Add an account (the first admin, on a new site). The password is read from F, else from
      stdin (first line; asked without echo on a terminal). At least 8 characters.
  npx tsx dashboard/cli.ts user list --config FILE [--json]
  npx tsx dashboard/cli.ts user passwd --config FILE --username NAME [--password-file F]
      Set a new password (the account's sessions end).
  npx tsx dashboard/cli.ts user disable --config FILE --username NAME
  npx tsx dashboard/cli.ts user enable --config FILE --username NAME

  --help   this text (also after a command: user --help)

The user commands write <dataDir>/dashboard.db directly and may run while the dashboard runs.
Exit codes: 0 done, 1 failure at run time, 2 bad configuration or arguments, 3 refused (user exists,
no such user, weak password, last admin). Logs: JSON (pino) on stderr.
Environment overrides of the config: TG_DASH__<KEY>__<SUBKEY>=value (e.g. TG_DASH__HTTP__PORT=8081).
`;

export const USER_HELP = `Accounts of the dashboard (written to <dataDir>/dashboard.db):

  user add --config FILE --username NAME --role guard|hr|admin [--display-name TEXT] [--lang zh-CN|en]
           [--password-file F]
  user list --config FILE [--json]
  user passwd --config FILE --username NAME [--password-file F]
  user disable --config FILE --username NAME
  user enable --config FILE --username NAME

Passwords come from --password-file F, else from stdin (first line). Exit 3 when refused.
`;
