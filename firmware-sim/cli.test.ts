/** The CLI as a user runs it: a real child process through tsx. */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { connect } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex } from '../protocols/hex.ts';
import { decodeInputRegisters, decodeResponse } from '../protocols/modbus-ir/index.ts';
import { freePort } from '../test/harness/ports.ts';
import { waitFor } from '../test/harness/wait.ts';
import type { ScenarioReport } from './scenario/runner.ts';
import { startBroker } from '../test/doubles/firmware-sim/aedes-broker.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = `${ROOT}node_modules/.bin/tsx`;

const children: ChildProcess[] = [];
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const c of cleanups.splice(0).reverse()) await c();
});

function sim(args: string[]) {
  const child = spawn(TSX, ['firmware-sim/cli.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, TG_SIM_LOG_LEVEL: 'warn' },
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (b) => {
    out += b;
  });
  child.stderr.on('data', (b) => {
    err += b;
  });
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return { child, exited, out: () => out, err: () => err };
}

describe('cli', () => {
  it('exits 2 with a clear message on bad arguments', async () => {
    const cases: [string[], RegExp][] = [
      [['thermometer', '--slave', '0'], /--slave must be 1\.\.247/],
      [['thermometer', '--serial', '/dev/x', '--tcp', '4001'], /either --serial or --tcp/],
      [['terminal', '--broker', 'mqtt://x'], /--device-id ID is required/],
      [['scenario'], /exactly one of --file F or --random/],
      [['nonsense'], /unknown command/],
    ];
    const runs = cases.map(([args]) => sim(args));
    for (const [i, r] of runs.entries()) {
      expect(await r.exited, r.err()).toBe(2);
      expect(r.err()).toMatch((cases[i] as [string[], RegExp])[1]);
    }
  });

  it('thermometer --tcp: answers polls with the requested temperature and stops on SIGTERM', async () => {
    const port = await freePort();
    const r = sim([
      'thermometer',
      '--tcp',
      `127.0.0.1:${port}`,
      '--celsius',
      '37.4',
      '--interval',
      '300',
      '--settle',
      '50',
    ]);
    await waitFor(() => r.out().includes('measurement seq 1'), {
      timeoutMs: 10_000,
      what: 'first measurement',
    });
    const sock = net.connect({ host: '127.0.0.1', port });
    cleanups.push(() => sock.destroy());
    const answer = await new Promise<Buffer>((resolve) => {
      sock.once('data', resolve);
      sock.write(fromHex('01 04 00 00 00 05 30 09'));
    });
    const res = decodeResponse(answer);
    const snap = res.ok && 'registers' in res.value ? decodeInputRegisters(res.value.registers) : undefined;
    expect(snap?.bodyTenths).toBe(374);
    expect(snap?.sequence).toBeGreaterThanOrEqual(1);
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
    expect(r.out()).toMatch(/SIGTERM: stopping/);
  });

  it('scenario --random --json: plays the people against a broker and reports each', async () => {
    const broker = await startBroker();
    cleanups.push(() => broker.close());
    const edge = connect(broker.url, { clientId: 'cli-test-edge' });
    cleanups.push(() => edge.endAsync(true));
    await new Promise<void>((res) => edge.once('connect', () => res()));
    await edge.subscribeAsync('face/+/event', { qos: 1 });
    edge.on('message', (topic, payload) => {
      const ev = JSON.parse(payload.toString());
      const id = topic.split('/')[1];
      const verdict = {
        serialNo: ev.serialNo,
        checkResult: 'success',
        open: true,
        display: 'ok',
        lang: 'en',
      };
      edge.publish(`face/${id}/verdict`, JSON.stringify(verdict), { qos: 1 });
    });
    const r = sim([
      'scenario',
      '--random',
      '--seed',
      '5',
      '--people',
      '3',
      '--gap',
      '50',
      '--broker',
      broker.url,
      '--lane',
      'id=g1,thermometer=tcp:127.0.0.1:0,terminal=t1,settle=30',
      '--ready-timeout',
      '3000',
      '--json',
    ]);
    expect(await r.exited, r.err()).toBe(0);
    const report = JSON.parse(r.out()) as ScenarioReport;
    expect(report.people).toHaveLength(3);
    for (const p of report.people) {
      expect(p.measurement?.reportedTenths).toBe(p.trueTenths);
      expect(p.face.verdict?.open).toBe(true);
      expect(p.released).toBe(true);
    }
  }, 30_000);
});
