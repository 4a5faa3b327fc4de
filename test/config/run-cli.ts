/**
 * Runs one of the project's programs as a real process on a broken configuration and records
 * what a person and the machine see: the exit code, stderr, whether anything ever accepted TCP
 * connections on the port the configuration names, and what was left in its data folder.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { canConnect } from '../harness/ports.ts';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
  /** Something accepted a connection on `port` while the process ran. */
  listened: boolean;
  /** Entries in `dataDir` after the run (empty when the folder does not exist). */
  dataFiles: string[];
  /** The run was ended by `stopWhen` (SIGTERM), not by the program itself or the timeout. */
  stopped: boolean;
}

export interface CliSpec {
  /** Script relative to the repository, e.g. `edge/cli.ts`. */
  script: string;
  args: string[];
  port: number;
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  /**
   * A valid configuration keeps running: stop it (SIGTERM) once something accepted a connection
   * on the port and this holds (polled). It was "200 ms after the port first answered" until a
   * loaded CI run stopped the hub before it had written its data folder: a condition, not a time.
   */
  stopWhen?: () => boolean;
  timeoutMs?: number;
}

/** A clean environment: no override variable of any program leaks in from the developer's shell. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(TG_(EDGE|HUB|DASH|SIM)_|LOG_LEVEL$)/.test(k)),
  );
  return { ...env, ...extra };
}

export function runCli(spec: CliSpec): Promise<CliRun> {
  return new Promise((done, fail) => {
    // node itself with tsx as a loader: one process, so the exit code is the program's own.
    const child = spawn(process.execPath, ['--import', 'tsx', spec.script, ...spec.args], {
      cwd: ROOT,
      env: spec.env ?? cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => {
      stderr += d.toString();
    });
    child.stdout.on('data', (d) => {
      stdout += d.toString();
    });
    let listened = false;
    let exited = false;
    let stopped = false;
    const probe = async () => {
      while (!exited) {
        if (!listened && (await canConnect(spec.port, '127.0.0.1', 200))) listened = true;
        if (listened && !stopped && !exited && spec.stopWhen?.()) {
          stopped = true;
          child.kill('SIGTERM');
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    const probing = probe();
    const timer = setTimeout(() => child.kill('SIGKILL'), spec.timeoutMs ?? 20_000);
    child.once('error', fail);
    child.once('close', async (code, signal) => {
      exited = true;
      clearTimeout(timer);
      await probing;
      done({
        code,
        signal,
        stderr,
        stdout,
        listened,
        stopped,
        dataFiles: existsSync(spec.dataDir) ? readdirSync(spec.dataDir) : [],
      });
    });
  });
}

/** Runs tasks with at most `limit` at once (each tsx start costs about a second of one core). */
export async function pool<T>(limit: number, tasks: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await (tasks[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}
