/** `device add|revoke|list|mosquitto-acl`: manage the credentials file. */
import { readFileSync } from 'node:fs';
import { DeviceRole } from '../../protocols/hub/credentials.ts';
import { ID_PATTERN } from '../../protocols/topics.ts';
import { CredentialsStore } from '../auth/credentials.ts';
import { mosquittoAcl } from '../auth/mosquitto-acl.ts';
import { HubError, HubErrorCode } from '../errors.ts';

export interface DeviceArgs {
  credentials: string;
  id?: string | undefined;
  role?: string | undefined;
  site?: string | undefined;
  gate?: string | undefined;
  terminal?: string | undefined;
  clientIds?: string[] | undefined;
  passwordFile?: string | undefined;
  json?: boolean | undefined;
}

const badArgs = (msg: string) => new HubError(HubErrorCode.BAD_ARGS, msg);

export async function deviceCommand(
  sub: string | undefined,
  a: DeviceArgs,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<void> {
  const store = new CredentialsStore(a.credentials);
  switch (sub) {
    case 'add': {
      store.load({ allowMissing: true });
      if (!a.id || !ID_PATTERN.test(a.id)) throw badArgs(`--id must match ${ID_PATTERN}`);
      const role = DeviceRole.safeParse(a.role);
      if (!role.success) throw badArgs('--role must be gate, terminal, dashboard or service');
      for (const [k, v] of [
        ['site', a.site],
        ['gate', a.gate],
        ['terminal', a.terminal],
      ] as const)
        if (v !== undefined && !ID_PATTERN.test(v)) throw badArgs(`--${k} must match ${ID_PATTERN}`);
      if (role.data === 'gate' && (!a.site || !a.gate || !a.terminal))
        throw badArgs('role gate needs --site, --gate and --terminal');
      if (role.data === 'dashboard' && !a.site) throw badArgs('role dashboard needs --site');
      let password: string | undefined;
      if (a.passwordFile) {
        password = readFileSync(a.passwordFile, 'utf8').replace(/\r?\n$/, '');
        if (password.length < 12)
          throw badArgs('the password in --password-file must be at least 12 characters');
      }
      const dev = {
        id: a.id,
        role: role.data,
        site: a.site,
        gate: a.gate,
        terminal: a.terminal,
        clientIds: a.clientIds,
      } as Parameters<CredentialsStore['add']>[0];
      // A generated password is hashed cheaper than one a person chose (hub/auth/password.ts).
      const added = await (password !== undefined
        ? store.add(dev, password).then((entry) => ({ entry, password: undefined }))
        : store.addGenerated(dev)
      ).catch((e: unknown) => {
        if (e instanceof HubError && e.code === HubErrorCode.CREDENTIALS_INVALID)
          throw badArgs(e.message.replace(/^[A-Z_]+: /, ''));
        throw e;
      });
      const { entry } = added;
      err.write(`added ${entry.id} (role ${entry.role}) to ${a.credentials}\n`);
      if (added.password !== undefined) {
        err.write('its password follows on stdout; it is shown only this once\n');
        out.write(`${added.password}\n`);
      }
      return;
    }
    case 'revoke': {
      store.load();
      if (!a.id) throw badArgs('--id is required');
      const d = store.revoke(a.id);
      err.write(`revoked ${d.id}; a running hub disconnects it within its watch interval\n`);
      return;
    }
    case 'list': {
      store.load({ allowMissing: true });
      const devices = store.list().map(({ secret: _secret, ...d }) => d);
      if (a.json) {
        out.write(`${JSON.stringify(devices, null, 2)}\n`);
        return;
      }
      for (const d of devices) {
        const binding = [
          d.site && `site=${d.site}`,
          d.gate && `gate=${d.gate}`,
          d.terminal && `terminal=${d.terminal}`,
        ]
          .filter(Boolean)
          .join(' ');
        out.write(
          `${d.id}\t${d.role}\t${binding || '-'}\t${d.revokedAt === null ? 'active' : `revoked ${new Date(d.revokedAt).toISOString()}`}\n`,
        );
      }
      return;
    }
    case 'mosquitto-acl': {
      store.load();
      out.write(mosquittoAcl(store.list().filter((d) => d.revokedAt === null)));
      return;
    }
    default:
      throw badArgs(
        `unknown device command ${JSON.stringify(sub ?? '')}: add, revoke, list or mosquitto-acl`,
      );
  }
}
