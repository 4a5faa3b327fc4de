/** The hub's command line, run as a person would: exit codes, what it prints, what it writes. */
import { execFile } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CredentialsFile, type ScryptSecret } from '../../protocols/hub/credentials.ts';
import { verifyPassword } from '../../hub/auth/password.ts';
import { SiteStore } from '../../hub/site-store/store.ts';
import { tempDir } from './fixture.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const exec = promisify(execFile);
// Resolved here: the CLI runs in a temp folder, where `--import tsx` would not find the package.
const TSX = import.meta.resolve('tsx');

async function hub(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, ['--import', TSX, join(ROOT, 'site', 'cli.ts'), ...args], {
      cwd,
      env: { ...process.env, LOG_LEVEL: 'silent' },
      timeout: 30_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

// Each call starts node with tsx: 1-2 s on a quiet machine, 3-6 s on a busy one (seen timing out at
// the default 20 s under load). The limit is a guard against a hang, not a timing goal.
describe('npm run hub', { timeout: 120_000 }, () => {
  const dir = tempDir('tg-hub-cli-');
  const creds = join(dir, 'credentials.json');

  it('--help', async () => {
    const r = await hub(['--help'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /device add --credentials FILE --id ID --role gate\|terminal\|dashboard\|service/,
    );
  });

  it('a bad configuration fails at start with each key path and reason, exit 2', async () => {
    writeFileSync(
      join(dir, 'bad.yaml'),
      'siteId: "plant 1"\nmqtt: { port: 70000 }\nlimits: { maxPayloadBytes: big }\nsurprise: 1\n',
    );
    const r = await hub(['--config', 'bad.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^TG_HUB_CONFIG_INVALID: invalid configuration in bad\.yaml/);
    for (const key of ['siteId', 'mqtt.port', 'credentialsFile', 'limits.maxPayloadBytes'])
      expect(r.stderr).toMatch(new RegExp(`^ {2}${key.replace('.', '\\.')}: `, 'm'));
    expect(r.stderr).toMatch(/surprise/);
  });

  it('device add prints a password once, stores only its scrypt hash, mode 0600', async () => {
    const r = await hub(
      [
        'device',
        'add',
        '--credentials',
        creds,
        '--id',
        'gate-a',
        '--role',
        'gate',
        '--site',
        's1',
        '--gate',
        'gate-a',
        '--terminal',
        'T1',
      ],
      dir,
    );
    expect(r.code).toBe(0);
    const password = r.stdout.trim();
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const text = readFileSync(creds, 'utf8');
    expect(text).not.toContain(password);
    // A generated password (192 random bits) is hashed at scrypt N = 1024: no work factor helps
    // against guessing it, and N = 16384 made a site's first logins after a power cut ~25 s.
    expect(CredentialsFile.parse(JSON.parse(text)).devices[0]).toMatchObject({
      id: 'gate-a',
      role: 'gate',
      secret: { alg: 'scrypt', N: 1024 },
    });
    expect(statSync(creds).mode & 0o777).toBe(0o600);
  });

  it('device add takes --password-file, refuses duplicates and incomplete roles', async () => {
    writeFileSync(join(dir, 'pw'), 'a-long-enough-password\n');
    expect(
      await hub(
        [
          'device',
          'add',
          '--credentials',
          creds,
          '--id',
          'T1',
          '--role',
          'terminal',
          '--password-file',
          'pw',
        ],
        dir,
      ),
    ).toMatchObject({ code: 0, stdout: '' });
    // A password a person chose keeps the full work factor (N = 16384, ~50 ms a guess).
    const t1 = CredentialsFile.parse(JSON.parse(readFileSync(creds, 'utf8'))).devices.find(
      (d) => d.id === 'T1',
    );
    expect(t1?.secret).toMatchObject({ alg: 'scrypt', N: 16384 });
    expect(await verifyPassword('a-long-enough-password', t1?.secret as ScryptSecret)).toBe(true);
    expect(
      (await hub(['device', 'add', '--credentials', creds, '--id', 'T1', '--role', 'terminal'], dir)).code,
    ).toBe(3);
    const r = await hub(
      ['device', 'add', '--credentials', creds, '--id', 'gate-b', '--role', 'gate', '--site', 's1'],
      dir,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/role gate needs --site, --gate and --terminal/);
  });

  it('device list and revoke', async () => {
    expect((await hub(['device', 'revoke', '--credentials', creds, '--id', 'T1'], dir)).code).toBe(0);
    const r = await hub(['device', 'list', '--credentials', creds], dir);
    expect(r.stdout).toMatch(/^gate-a\tgate\tsite=s1 gate=gate-a terminal=T1\tactive$/m);
    expect(r.stdout).toMatch(/^T1\tterminal\t-\trevoked /m);
  });

  it('access-list import: a bad file is refused line by line (exit 3), a good one becomes version 1', async () => {
    writeFileSync(
      join(dir, 'hub.yaml'),
      `siteId: s1\ncredentialsFile: credentials.json\npersistenceDir: data\n`,
    );
    expect((await hub(['--config', 'hub.yaml', '--check'], dir)).code).toBe(0);
    writeFileSync(
      join(dir, 'bad.csv'),
      'employeeNo,name,department,kind,validFrom,validUntil\nE1,a,,,,\nE2,b,,alien,,\n',
    );
    const bad = await hub(['access-list', 'import', '--config', 'hub.yaml', '--csv', 'bad.csv'], dir);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/^TG_HUB_ACCESS_LIST_INVALID: nothing imported, 1 problem\(s\)$/m);
    expect(bad.stderr).toMatch(/^ {2}line 3: kind must be employee or visitor, got "alien"$/m);
    expect((await hub(['access-list', 'show', '--config', 'hub.yaml'], dir)).stdout).toBe(
      'no access list yet\n',
    );
    writeFileSync(
      join(dir, 'good.csv'),
      'employeeNo,name,department,kind,validFrom,validUntil\nE1,a,,,,\nE2,b,,visitor,,2026-12-31\n',
    );
    const good = await hub(['access-list', 'import', '--config', 'hub.yaml', '--csv', 'good.csv'], dir);
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ version: 1, entries: 2, unchanged: false });
    expect(JSON.parse(readFileSync(join(dir, 'data', 'access-list.json'), 'utf8'))).toMatchObject({
      v: 1,
      version: 1,
    });
  });

  it('hold and policy: HR lifts a hold and an admin sets the policy without a dashboard; bad input exits 3 naming the key', async () => {
    // The hub opened this hold on a gate's fever (what hub/hub.ts does on a flagged decision).
    const store = new SiteStore(join(dir, 'data', 'site.sqlite'));
    store.flag({
      employeeNo: 'E7',
      name: '王芳',
      gateId: 'gate-a',
      readingId: 's1:gate-a:9',
      temperatureTenths: 384,
      room: null,
      at: Date.now(),
    });
    store.close();
    const list = await hub(['hold', 'list', '--config', 'hub.yaml', '--json'], dir);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ employeeNo: 'E7', state: 'active', stage: 'fever' }),
    ]);
    const noNote = await hub(['hold', 'lift', '--config', 'hub.yaml', '--employee', 'E7'], dir);
    expect(noNote.code).toBe(2);
    const unknown = await hub(
      ['hold', 'lift', '--config', 'hub.yaml', '--employee', 'E404', '--note', 'x'],
      dir,
    );
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/TG_HUB_HOLD_NOT_FOUND/);
    const lift = await hub(
      [
        'hold',
        'lift',
        '--config',
        'hub.yaml',
        '--employee',
        'E7',
        '--note',
        '发热门诊证明',
        '--return-date',
        '2026-12-09',
        '--by',
        'hr1',
      ],
      dir,
    );
    expect(lift.code).toBe(0);
    const after = JSON.parse((await hub(['hold', 'list', '--config', 'hub.yaml', '--json'], dir)).stdout);
    expect(after).toEqual([
      expect.objectContaining({
        employeeNo: 'E7',
        state: 'lifted',
        liftReason: 'certificate',
        returnDate: '2026-12-09',
        liftedBy: 'cli:hr1',
      }),
    ]);

    writeFileSync(join(dir, 'policy-bad.yaml'), 'rules: { feverThresholdTenths: 37.5 }\n');
    const bad = await hub(['policy', 'set', '--config', 'hub.yaml', '--file', 'policy-bad.yaml'], dir);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/rules\.feverThresholdTenths/);
    writeFileSync(
      join(dir, 'policy.yaml'),
      'rules: { feverThresholdTenths: 375 }\ncalendar: { holidays: [2027-01-01] }\n',
    );
    const good = await hub(['policy', 'set', '--config', 'hub.yaml', '--file', 'policy.yaml'], dir);
    expect(good.code).toBe(0);
    const shown = JSON.parse((await hub(['policy', 'show', '--config', 'hub.yaml'], dir)).stdout);
    expect(shown).toMatchObject({
      version: 2,
      rules: { feverThresholdTenths: 375, maskRequired: true },
      calendar: { holidays: ['2027-01-01'] },
    });
  });
});
