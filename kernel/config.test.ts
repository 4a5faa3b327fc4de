import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  type ConfigSpec,
  describeConfigError,
  loadConfig,
  parseConfig,
  readSecretFile,
} from './config.ts';

const Schema = z.strictObject({
  name: z.string(),
  dataDir: z.string().default('./data'),
  hooks: z.array(z.strictObject({ secretFile: z.string().optional() })).default([]),
  secret: z.string().optional(),
  secretFile: z.string().optional(),
});
const SPEC: ConfigSpec<typeof Schema> = {
  schema: Schema,
  envPrefix: 'TG_DEMO__',
  paths: ['dataDir', 'hooks.*.secretFile', 'secretFile'],
  finish(cfg, fail) {
    if (cfg.secretFile && cfg.secret === undefined)
      cfg.secret = readSecretFile(cfg.secretFile, 'secretFile', fail);
  },
};
const dir = mkdtempSync(join(tmpdir(), 'tg-kernel-config-'));
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

function problems(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('kernel config loader', () => {
  it('resolves relative paths (defaults too, array elements too) against the file folder, reads secrets, freezes', () => {
    write('pw', 'p4ss\n');
    const cfg = loadConfig(
      SPEC,
      write('a.yaml', 'name: x\nhooks: [{ secretFile: h/s }, {}]\nsecretFile: pw\n'),
      {},
    );
    expect(cfg.dataDir).toBe(join(dir, 'data'));
    expect(cfg.hooks[0]?.secretFile).toBe(join(dir, 'h/s'));
    expect(cfg.secret).toBe('p4ss');
    expect(Object.isFrozen(cfg) && Object.isFrozen(cfg.hooks) && Object.isFrozen(cfg.hooks[0])).toBe(true);
  });

  it('applies environment overrides before validation, so a bad one names its key', () => {
    const file = write('b.yaml', 'name: x\n');
    expect(loadConfig(SPEC, file, { TG_DEMO__NAME: 'y' }).name).toBe('y');
    const e = problems(() => loadConfig(SPEC, file, { TG_DEMO__DATA_DIR: '5' }));
    expect(e.issues.map((i) => i.path)).toEqual(['dataDir']);
  });

  it('one problem shape for every failure, with the program code and the file', () => {
    const missing = problems(() =>
      loadConfig({ ...SPEC, code: 'TG_DEMO_CONFIG_INVALID' }, join(dir, 'nope.yaml'), {}),
    );
    expect(missing.code).toBe('TG_DEMO_CONFIG_INVALID');
    expect(missing.issues).toEqual([{ path: '', message: 'cannot read file: ENOENT' }]);
    expect(problems(() => loadConfig(SPEC, write('c.json', '{'), {})).issues[0]?.message).toMatch(
      /not valid JSON/,
    );
    expect(problems(() => loadConfig(SPEC, write('d.yaml', '- 1\n'), {})).issues[0]?.message).toBe(
      'expected a mapping of keys',
    );
    const secret = problems(() => loadConfig(SPEC, write('e.yaml', 'name: x\nsecretFile: gone\n'), {}));
    expect(secret.issues).toEqual([{ path: 'secretFile', message: 'cannot read: ENOENT' }]);
    expect(describeConfigError(secret)).toBe(
      `TG_CONFIG_INVALID: invalid configuration in ${join(dir, 'e.yaml')}\n  secretFile: cannot read: ENOENT\n`,
    );
  });

  it('a config built in code keeps its paths as they are', () => {
    expect(parseConfig(SPEC, { name: 'x' }).dataDir).toBe('./data');
  });
});
