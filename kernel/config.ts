/**
 * Config loading for every program (edge, hub, dashboard): one way to read a file, apply the
 * environment, validate and report. A program gives its zod schema, its environment prefix and the
 * keys that hold file paths; it gets a frozen config or a ConfigError that names every bad key.
 *
 * - The file is YAML, or JSON when its name ends in `.json`; the top level is a mapping.
 * - Environment overrides (`PREFIX` + key path joined by `__`, ./config-env.ts) apply before
 *   validation, so a bad override is reported like a bad key in the file.
 * - One problem shape, `{ path, message }`: `path` is the key path (`mqtt.port`), '' the whole file.
 * - One path rule: a relative path in a config file is relative to the folder of that file, not to
 *   wherever the program was started (a systemd unit and a shell in the repo must read the same
 *   files). Defaults count too (the hub's `persistenceDir: ./data` lands beside its config).
 *   A config built in code (`parse…Config(object)`) has no file: its paths are taken as they are.
 * - Defaults live in the schema only; the result is deeply frozen, so nothing changes it later.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { applyEnvOverrides } from './config-env.ts';
import { CodedError, type ErrorCode } from './errors.ts';

export { applyEnvOverrides } from './config-env.ts';

/** One thing wrong with a config: the key path (`mqtt.port`, '' for the whole file) and why. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** A config that cannot be used. `code` is TG_CONFIG_INVALID unless the program keeps its own. */
export class ConfigError extends CodedError<ErrorCode> {
  constructor(
    /** The file (or 'config' for one built in code). */
    readonly file: string,
    readonly issues: ConfigIssue[],
    code: ErrorCode = 'TG_CONFIG_INVALID',
  ) {
    super(code, `${code}: ${file}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, {
      details: { file },
    });
    this.name = 'ConfigError';
  }
}

/** What a command prints for a ConfigError (the CLIs then exit 2): the file, then one line per key. */
export function describeConfigError(e: ConfigError): string {
  const lines = [`${e.code}: invalid configuration in ${e.file}`];
  for (const i of e.issues) lines.push(`  ${i.path || '(root)'}: ${i.message}`);
  return `${lines.join('\n')}\n`;
}

export interface ConfigSpec<S extends z.ZodType> {
  schema: S;
  /** e.g. `TG_EDGE__`. */
  envPrefix: string;
  /**
   * Keys that hold file or folder paths, as dot paths; `*` stands for every element of an array.
   * Relative ones are resolved against the config file's folder (only when loaded from a file).
   */
  paths?: readonly string[];
  /** The code of the ConfigError (default TG_CONFIG_INVALID). */
  code?: ErrorCode;
  /**
   * After validation and path resolution, on the program's own copy, before it is frozen: read
   * secret files, check that named files exist. Throw with `fail`.
   */
  finish?: (cfg: z.output<S>, fail: (path: string, message: string) => never) => void;
}

const why = (e: unknown) => (e as NodeJS.ErrnoException).code ?? String(e);

/** The file's top-level mapping (YAML, or JSON by its name). */
export function readConfigFile(file: string, code?: ErrorCode): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [{ path: '', message: `cannot read file: ${why(e)}` }], code);
  }
  const json = file.endsWith('.json');
  let raw: unknown;
  try {
    raw = json ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError(
      file,
      [{ path: '', message: `not valid ${json ? 'JSON' : 'YAML'}: ${(e as Error).message}` }],
      code,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError(file, [{ path: '', message: 'expected a mapping of keys' }], code);
  return raw as Record<string, unknown>;
}

/** Reads, applies `env`, validates, resolves paths against the file's folder, finishes, freezes. */
export function loadConfig<S extends z.ZodType>(
  spec: ConfigSpec<S>,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const raw = applyEnvOverrides(readConfigFile(file, spec.code), env, spec.envPrefix);
  return validate(spec, raw, file, dirname(resolve(file)));
}

/** Validates an object built in code (tests, the site process): paths are taken as they are. */
export function parseConfig<S extends z.ZodType>(
  spec: ConfigSpec<S>,
  raw: unknown,
  source = 'config',
): z.output<S> {
  return validate(spec, raw, source, undefined);
}

function validate<S extends z.ZodType>(
  spec: ConfigSpec<S>,
  raw: unknown,
  source: string,
  base: string | undefined,
): z.output<S> {
  const r = spec.schema.safeParse(raw);
  if (!r.success)
    throw new ConfigError(
      source,
      r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      spec.code,
    );
  // zod returns new objects, but a default given as an object literal may be shared between parses.
  const cfg = structuredClone(r.data) as z.output<S>;
  if (base !== undefined)
    for (const p of spec.paths ?? []) resolveAt(cfg as Record<string, unknown>, p.split('.'), base);
  spec.finish?.(cfg, (path, message) => {
    throw new ConfigError(source, [{ path, message }], spec.code);
  });
  return deepFreeze(cfg);
}

/** Resolves the path string(s) at `keys` (with `*` for array elements) against `base`, in place. */
function resolveAt(node: unknown, keys: string[], base: string): void {
  if (node === null || typeof node !== 'object') return;
  const [key, ...rest] = keys as [string, ...string[]];
  const obj = node as Record<string, unknown>;
  const children = key === '*' ? Object.keys(obj) : [key];
  for (const k of children) {
    if (rest.length > 0) resolveAt(obj[k], rest, base);
    else if (typeof obj[k] === 'string' && obj[k] !== '' && !isAbsolute(obj[k])) obj[k] = join(base, obj[k]);
  }
}

/** Freezes `v` and everything it holds (plain data: objects and arrays). */
export function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** A secret read from a file (trimmed), or a `fail` naming the key that points at the file. */
export function readSecretFile(
  file: string,
  key: string,
  fail: (path: string, message: string) => never,
): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (e) {
    return fail(key, `cannot read: ${why(e)}`);
  }
}
