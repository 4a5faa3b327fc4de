/**
 * `npx tsx bench/auth-burst.ts [--attackers 150] [--seconds 10] [--profile DIR]`: the hub (its own process, the
 * attacked gate's hash at the cost of a password a person chose, scrypt N=16384: the dearer case) under a wrong-password burst from
 * `--attackers` loopback addresses that keep reconnecting, while the real gate drops its link
 * every second and reconnects from its own address. Reports the hub's CPU during the burst and
 * the gate's reconnect times (issue #20: within 2 s). Attackers stay on 127.0.0.0/8.
 * `--profile DIR`: the hub runs with `--cpu-prof` into DIR (read it with bench/profile.ts).
 */
import type net from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { MqttClient } from 'mqtt';
import { DEFAULT_SCRYPT } from '../hub/auth/password.ts';
import { clientFrom, loopback, rawConnect, SITE, startHubProcess } from '../test/security/harness.ts';
import { emitResult, fmt, say } from './lib/result.ts';
import { CpuMeter } from './lib/procfs.ts';

const { values } = parseArgs({
  options: {
    attackers: { type: 'string', default: '150' },
    seconds: { type: 'string', default: '10' },
    profile: { type: 'string' },
  },
});
const ATTACKERS = Number(values.attackers);
const SECONDS = Number(values.seconds);
/** Targets: the issue's 2 s reconnect; the hub keeps at most about one core busy. */
const RECONNECT_TARGET_MS = 2000;
const CPU_TARGET_PCT = 100;

const hub = await startHubProcess({
  devices: [
    { id: 'gate-2', role: 'gate', site: SITE, gate: 'gate-2', terminal: 'T2', scrypt: DEFAULT_SCRYPT },
  ],
  ...(values.profile ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', resolve(values.profile)] } : {}),
});
say(`hub pid ${hub.proc.pid} on ${hub.port}; ${ATTACKERS} attackers for ${SECONDS} s`);

const device: MqttClient = clientFrom(hub.port, '127.0.0.1', {
  username: 'gate-2',
  password: hub.passwords['gate-2'],
  clientId: 'gate-2',
  clean: false,
  reconnectPeriod: 200,
  connectTimeout: 3000,
});
device.on('error', () => {});
await new Promise<void>((r) => device.once('connect', () => r()));

const idle = new CpuMeter([hub.proc.pid]);
await new Promise((r) => setTimeout(r, 1000));
const idlePct = idle.percent();

let stopped = false;
const codes = new Map<number, number>();
const attack = Promise.all(
  Array.from({ length: ATTACKERS }, async (_, i) => {
    let n = 0;
    while (!stopped) {
      const c = await rawConnect(hub.port, {
        localAddress: loopback(i),
        username: 'gate-2',
        password: `guess-${i}-${n++}`,
        clientId: `evil-${i}`,
      });
      codes.set(c, (codes.get(c) ?? 0) + 1);
    }
  }),
);
const cpu = new CpuMeter([hub.proc.pid]);
const reconnects: number[] = [];
const until = Date.now() + SECONDS * 1000;
while (Date.now() < until) {
  await new Promise((r) => setTimeout(r, 1000));
  const dropped = performance.now();
  const back = new Promise<number>((resolve) => device.once('connect', () => resolve(performance.now())));
  (device.stream as unknown as net.Socket).destroy();
  const t = await Promise.race([back, new Promise<number>((r) => setTimeout(() => r(Number.NaN), 10_000))]);
  reconnects.push(t - dropped);
}
const burstPct = cpu.percent();
stopped = true;
await attack;
device.end(true);
await hub.stop();

const ok = reconnects.filter(Number.isFinite);
const worst = ok.length === reconnects.length ? Math.max(...ok) : Number.NaN;
const median = [...ok].sort((a, b) => a - b)[Math.floor(ok.length / 2)] ?? Number.NaN;
const attempts = [...codes.values()].reduce((a, b) => a + b, 0);

process.stdout.write(`## Login burst (issue #20)

${ATTACKERS} loopback addresses keep sending wrong-password CONNECTs for the gate \`gate-2\` (hash at
the cost of a password a person chose, scrypt N=16384) for ${SECONDS} s; meanwhile the real gate drops its link once a
second and reconnects from its own address (mqtt.js, reconnectPeriod 200 ms). Hub CPU from /proc.

| figure | value |
|---|---|
| attempts answered | ${fmt(attempts)} (${[...codes].map(([c, n]) => `CONNACK ${c}: ${fmt(n)}`).join(', ')}) |
| hub CPU idle / during the burst | ${fmt(idlePct, 1)} % / ${fmt(burstPct, 1)} % of one core |
| gate reconnects | ${reconnects.length}, median ${fmt(median)} ms, worst ${fmt(worst)} ms |
`);
emitResult({
  bench: 'auth-burst',
  figures: {
    attackers: ATTACKERS,
    seconds: SECONDS,
    attempts,
    codes: Object.fromEntries(codes),
    idlePct,
    burstPct,
    reconnects,
  },
  targets: [
    {
      figure: `gate reconnect during a ${ATTACKERS}-address login burst (worst)`,
      value: `${fmt(worst)} ms`,
      target: `< ${RECONNECT_TARGET_MS} ms`,
      met: Number.isFinite(worst) ? worst < RECONNECT_TARGET_MS : false,
    },
    {
      figure: 'hub CPU during the burst',
      value: `${fmt(burstPct, 1)} % of one core`,
      target: `≤ ${CPU_TARGET_PCT} %`,
      met: burstPct <= CPU_TARGET_PCT,
    },
  ],
});
