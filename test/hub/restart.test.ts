/**
 * The hub killed (SIGKILL, no goodbye) and started again while a real gate runs: the gate comes
 * back online in the fleet, and no QoS 1 message is lost — neither the decisions queued in the
 * hub for a subscriber that was away (they are in SQLite), nor the passages made while the hub
 * was down (the terminal caches them, the edge decides them when the hub is back).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionMessage } from '../../protocols/gate/messages.ts';
import { FleetSnapshot } from '../../protocols/hub/fleet.ts';
import { HubTopic } from '../../protocols/topics.ts';
import { canConnect, freePort } from '../harness/ports.ts';
import { spawnTracked, type Tracked, tail } from '../harness/proc.ts';
import { waitFor } from '../harness/wait.ts';
import { connect, SITE, startGate, type TestGate, tempDir, writeCredentials } from './fixture.ts';

const ROOT = join(import.meta.dirname, '..', '..');
let dir: string;
let port: number;
let configFile: string;
let passwords: Record<string, string>;
let hubProc: Tracked | undefined;
let gate: TestGate | undefined;
let url: string;

async function startHubProcess(): Promise<Tracked> {
  const p = spawnTracked(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), join(ROOT, 'site', 'cli.ts'), '--config', configFile],
    {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: process.env.HUB_LOG_LEVEL ?? 'info' },
    },
  );
  await waitFor(
    async () => {
      if (!p.alive()) throw new Error(`hub exited: ${tail(p.output())}`);
      return canConnect(port);
    },
    { what: 'hub process listening', timeoutMs: 20_000, intervalMs: 100 },
  );
  return p;
}

beforeAll(async () => {
  dir = tempDir('tg-hub-restart-');
  port = await freePort();
  url = `mqtt://127.0.0.1:${port}`;
  passwords = await writeCredentials(join(dir, 'credentials.json'));
  configFile = join(dir, 'hub.yaml');
  writeFileSync(
    configFile,
    [
      `siteId: ${SITE}`,
      `mqtt: { host: 127.0.0.1, port: ${port} }`,
      'credentialsFile: credentials.json',
      'persistenceDir: data',
      'fleet: { heartbeatTimeoutMs: 3000, publishIntervalMs: 100 }',
      'watchIntervalMs: 200',
      '',
    ].join('\n'),
  );
  hubProc = await startHubProcess();
}, 30_000);

afterAll(async () => {
  await gate?.stop();
  await hubProc?.stop('SIGTERM', 5000);
});

describe('hub killed and restarted under a running gate', () => {
  it('the gate comes back online and no QoS 1 decision is lost', async () => {
    gate = await startGate({ url, passwords }, 'gate-a', 'T1', dir);
    const archiveOpts = {
      username: 'dash',
      password: passwords.dash,
      clientId: 'dash-archive',
      clean: false,
      reconnectPeriod: 0,
    };
    const received = new Map<number, number>();
    const record = (c: MqttClient) =>
      c.on('message', (_t, p) => {
        const d = JSON.parse(p.toString()) as DecisionMessage;
        const n = d.reading.terminalSerialNo as number;
        received.set(n, (received.get(n) ?? 0) + 1);
      });
    let archive = await connect(url, archiveOpts, record);
    await archive.subscribeAsync(`tg/${SITE}/gate/+/decision`, { qos: 1 });

    const person = { employeeNo: 'E1', name: 'A', mask: 'yes' as const, temperatureTenths: 365 };
    for (let i = 0; i < 3; i++) expect((await gate.terminal.present(person)).verdict).toBeDefined();
    await waitFor(() => received.size === 3, { what: '3 decisions archived' });

    // The archiver goes away; its session (clean: false) keeps collecting in the hub.
    await archive.endAsync();
    for (let i = 0; i < 3; i++) expect((await gate.terminal.present(person)).verdict).toBeDefined();
    await new Promise((r) => setTimeout(r, 300));

    await hubProc?.stop('SIGKILL');
    await waitFor(() => !gate?.terminal.isOnline && !gate?.edge.link.connected, {
      what: 'gate sees the hub gone',
    });
    // People keep coming: the terminal caches them (offline records) until the hub is back.
    for (let i = 0; i < 2; i++) expect((await gate.terminal.present(person)).realtime).toBe(false);

    hubProc = await startHubProcess();
    await waitFor(() => gate?.edge.link.connected && gate.terminal.isOnline, {
      what: 'gate and terminal reconnected',
      timeoutMs: 10_000,
    });
    await waitFor(() => gate?.terminal.pendingOfflineRecords().length === 0, {
      what: 'offline records decided and acknowledged',
      timeoutMs: 10_000,
    });

    const watcher = await connect(url, {
      username: 'dash',
      password: passwords.dash,
      clientId: 'dash-watch',
    });
    const snapshots: FleetSnapshot[] = [];
    watcher.on('message', (_t, p) => snapshots.push(FleetSnapshot.parse(JSON.parse(p.toString()))));
    await watcher.subscribeAsync(HubTopic.fleet(SITE), { qos: 0 });
    const restartedAt = Date.now() - 10_000;
    await waitFor(
      () =>
        snapshots.some(
          (s) => s.hub.startedAt > restartedAt && s.gates.some((g) => g.gateId === 'gate-a' && g.online),
        ),
      {
        what: 'fleet shows gate-a online after the restart',
      },
    );
    watcher.end(true);

    archive = await connect(url, archiveOpts, record);
    await waitFor(() => received.size === 8, { what: 'all 8 decisions archived', timeoutMs: 10_000 }).catch(
      (e: Error) => {
        throw new Error(
          `${e.message}; have ${[...received.keys()].sort((x, y) => x - y)}; hub log:\n${tail(hubProc?.output() ?? '', 40)}`,
        );
      },
    );
    expect([...received.keys()].sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    archive.end(true);
  }, 60_000);
});
