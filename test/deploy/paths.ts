/** Where the deployment files are, and the compose file as docker-compose itself resolves it. */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const DEPLOY = join(ROOT, 'deploy');
export const CONFIG_DIR = join(DEPLOY, 'config');
export const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
export const DOCKER_COMPOSE = '/usr/bin/docker-compose';

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | null>;
  volumes?: Array<string | { type: string; source?: string; target: string; read_only?: boolean }>;
  secrets?: Array<{ source: string } | string>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  restart?: string;
  depends_on?: Record<string, { condition: string }> | string[];
  ports?: unknown[];
  user?: string;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  secrets: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
}

/** `docker-compose config`: the file after interpolation, merges and normalisation. */
export function composeConfig(): ComposeFile {
  const out = execFileSync(DOCKER_COMPOSE, ['-f', COMPOSE_FILE, 'config'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, COMPOSE_INTERACTIVE_NO_CLI: '1' },
  });
  return parseYaml(out) as ComposeFile;
}

export const secretNames = (s: ComposeService): string[] =>
  (s.secrets ?? []).map((x) => (typeof x === 'string' ? x : x.source));

export interface Mount {
  type: 'bind' | 'volume';
  source: string;
  target: string;
  readOnly: boolean;
}

/** docker-compose v1 prints mounts as `source:target[:mode]`; the long form is accepted too. */
export function mounts(s: ComposeService): Mount[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v !== 'string')
      return {
        type: v.type === 'bind' ? 'bind' : 'volume',
        source: v.source ?? '',
        target: v.target,
        readOnly: v.read_only === true,
      };
    const [source = '', target = '', mode = 'rw'] = v.split(':');
    return {
      type: source.startsWith('/') || source.startsWith('.') ? 'bind' : 'volume',
      source,
      target,
      readOnly: mode === 'ro',
    };
  });
}

/** Every string value of a parsed YAML/JSON document. */
export function strings(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(strings);
  if (node && typeof node === 'object') return Object.values(node).flatMap(strings);
  return [];
}
