/**
 * The gate's disk really filling up: the outbox on an 8 MB tmpfs, a ballast file eating the free
 * space. With storage.diskReserveMB = 1 the `outbox-filling` alert must come below 4 MB free
 * (naming the disk and its free MB), readings must keep being decided once the disk is completely
 * full (held in memory, the process alive), and after the ballast is deleted every reading must
 * be committed and forwarded exactly once, in order, and the alert cleared.
 *
 * Needs root (or CAP_SYS_ADMIN) for `mount -t tmpfs`; without it the tests are skipped with the
 * reason printed, never passed silently.
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmdirSync,
  rmSync,
  statfsSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadingStore } from '../../dashboard/store/index.ts';
import type { FillEvent } from '../../edge/storage/fill-level.ts';
import { createRecorder, type DurableRecorder } from '../../edge/storage/recorder.ts';
import { FaceTerminal, type PresentResult } from '../../firmware-sim/face/terminal.ts';
import type { AlertMessage, Heartbeat, ReadingRecord } from '../../protocols/gate/messages.ts';
import { startBroker } from '../edge/site-fixture.ts';
import { spawnTracked, type Tracked } from '../harness/proc.ts';
import { waitFor } from '../harness/wait.ts';
import { GATE, newReading } from './records.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const MB = 1024 * 1024;
const ALL = { from: 0, to: Date.UTC(2100, 0, 1) };

const mounted: string[] = [];
function mountTmpfs(dir: string): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir], { stdio: 'pipe' });
  mounted.push(dir);
}
function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' });
  } catch {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  }
}

/** Why a tmpfs cannot be mounted here, or null when it can. */
function mountProblem(): string | null {
  const probe = mkdtempSync(join(tmpdir(), 'tg-tmpfs-probe-'));
  try {
    mountTmpfs(probe);
    mounted.pop();
    unmount(probe);
    return null;
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    return `cannot mount a tmpfs (${stderr || (e as Error).message}); needs root or CAP_SYS_ADMIN`;
  } finally {
    rmdirSync(probe);
  }
}
const skipReason = mountProblem();
if (skipReason) console.warn(`SKIPPED test/storage/disk-full.test.ts: ${skipReason}`);

let base: string;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'tg-disk-full-'));
});
afterAll(() => {
  for (const dir of mounted.splice(0)) unmount(dir);
  if (base) rmSync(base, { recursive: true, force: true });
});

/** A fresh 8 MB tmpfs for the outbox; the sink lives on the ordinary disk next to it. */
function newDisk(name: string): { disk: string; ballast: string; sinkPath: string } {
  const disk = join(base, name, 'disk');
  mkdirSync(disk, { recursive: true });
  mountTmpfs(disk);
  return { disk, ballast: join(disk, 'ballast'), sinkPath: join(base, name, 'site.sqlite') };
}

const freeBytes = (dir: string) => {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
};

/** Grows the ballast until at most `leave` bytes are free (tmpfs hands out 4 KB pages). */
function ballastDownTo(disk: string, ballast: string, leave: number): void {
  const fd = openSync(ballast, 'a');
  try {
    for (let free = freeBytes(disk); free > leave; free = freeBytes(disk))
      writeSync(fd, Buffer.alloc(Math.min(free - leave, MB), 0x42));
  } finally {
    closeSync(fd);
  }
}

/** Grows the ballast until the filesystem refuses even 512 bytes. */
function fillCompletely(ballast: string): void {
  const fd = openSync(ballast, 'a');
  try {
    for (const size of [64 * 1024, 4096, 512]) {
      try {
        for (;;) writeSync(fd, Buffer.alloc(size, 0x42));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      }
    }
  } finally {
    closeSync(fd);
  }
}

describe.skipIf(skipReason !== null)('the outbox on a filesystem that fills up', () => {
  it('alerts on free space, holds readings while full, then commits and forwards each exactly once in order', {
    timeout: 60_000,
  }, async () => {
    const { disk, ballast, sinkPath } = newDisk('recorder');
    const rec: DurableRecorder = createRecorder(
      {
        outboxPath: join(disk, 'outbox.sqlite'),
        sink: { kind: 'sqlite', path: sinkPath },
        diskReserveMB: 1,
        diskCheckEvery: 1,
        spillRetryMs: 50,
        forwarder: { lingerMs: 10, backoffMinMs: 20, backoffMaxMs: 200, probeIntervalMs: 20 },
      },
      { logger: pino({ level: 'silent' }) },
    );
    const fills: FillEvent[] = [];
    rec.on('fill', (e) => fills.push(e));
    const written: ReadingRecord[] = [];
    const recordOne = () => {
      const k = written.length;
      written.push(
        rec.record(newReading({ at: Date.now() - 60_000 + k, employeeNo: `E${k}`, sensorSeq: k })),
      );
    };
    try {
      for (let i = 0; i < 20; i++) recordOne();
      await rec.flush(10_000);
      expect(fills).toEqual([]);

      for (const [leave, level, severity] of [
        [3.5 * MB, 'filling', 'minor'],
        [1.5 * MB, 'high', 'major'],
        [0.5 * MB, 'critical', 'critical'],
      ] as const) {
        ballastDownTo(disk, ballast, leave);
        recordOne();
        expect(fills.at(-1)).toMatchObject({ level, severity, active: true, cause: 'disk', spilled: 0 });
        expect(fills.at(-1)?.freeBytes).toBeLessThanOrEqual(leave);
        expect(rec.stats().freeDiskBytes).toBeLessThanOrEqual(leave);
      }

      fillCompletely(ballast);
      expect(freeBytes(disk)).toBe(0);
      // Decided and returned all the same: the gate has acted on each of them already.
      for (let i = 0; i < 40; i++) recordOne();
      const full = fills.find((e) => e.level === 'full');
      expect(full).toMatchObject({
        severity: 'critical',
        cause: 'spill',
        writeError: 'SQLITE_FULL',
        freeBytes: 0,
      });
      expect(rec.stats().spilled).toBeGreaterThan(0);
      expect(rec.stats().level).toBe('full');
      const seqs = written.map((r) => r.seq);
      expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] as number) + i));

      rmSync(ballast);
      await waitFor(() => rec.stats().spilled === 0, { what: 'held readings committed', timeoutMs: 10_000 });
      await rec.flush(10_000);
      expect(fills.at(-1)).toMatchObject({ level: 'ok', active: false });

      const store = createReadingStore({ kind: 'sqlite', path: sinkPath });
      try {
        const stored = await store.readingsByGate({ gateId: GATE, ...ALL });
        expect(stored.map((r) => r.id)).toEqual(written.map((r) => r.id));
        expect(stored).toEqual(written);
      } finally {
        await store.close();
      }
    } finally {
      await rec.close();
    }
  });

  it('held readings lost with the process are logged in full, and their seqs are never reused', {
    timeout: 30_000,
  }, async () => {
    const { disk, ballast } = newDisk('restart');
    const logs: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void logs.push(JSON.parse(l)) });
    const config = {
      outboxPath: join(disk, 'outbox.sqlite'),
      sink: { kind: 'none' as const },
      diskReserveMB: 1,
    };
    let rec = createRecorder(config, { logger });
    const first = rec.record(newReading());
    fillCompletely(ballast);
    const held = [rec.record(newReading()), rec.record(newReading()), rec.record(newReading())];
    expect(rec.stats().spilled).toBe(3);
    // The guard of the held seqs was written on the full filesystem (in place, no new blocks).
    expect(logs.some((l) => l.code === 'TG_OUTBOX_SEQ_GUARD')).toBe(false);
    await rec.close();
    const lost = logs.find((l) => l.code === 'TG_OUTBOX_SPILL_LOST') as { readings: ReadingRecord[] };
    expect(lost.readings.map((r) => r.id)).toEqual(held.map((r) => r.id));

    rmSync(ballast);
    logs.length = 0;
    rec = createRecorder(config, { logger });
    try {
      expect(logs.find((l) => l.code === 'TG_OUTBOX_SPILL_LOST')).toMatchObject({
        fromSeq: first.seq + 1,
        toSeq: first.seq + 3,
      });
      expect(rec.record(newReading()).seq).toBe(first.seq + 4);
    } finally {
      await rec.close();
    }
  });

  it('the edge daemon keeps deciding on a full disk, stays up, and loses nothing', {
    timeout: 120_000,
  }, async () => {
    const { disk, ballast, sinkPath } = newDisk('edge');
    const broker = await startBroker();
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const config = join(base, 'edge', 'gate.yaml');
    writeFileSync(
      config,
      `siteId: df
gateId: gate-1
dataDir: ${disk}
mqtt: { url: "${url}", reconnectMinMs: 100, reconnectMaxMs: 1000 }
thermometer: { protocol: none }
terminal: { deviceId: T1, temperatureSource: terminal }
policy: { accessListRequired: false, maskRequired: false }
storage: { diskReserveMB: 1, sink: { kind: sqlite, path: "${sinkPath}" } }
heartbeatIntervalMs: 1000
logLevel: warn
`,
    );
    const alerts: AlertMessage[] = [];
    const heartbeats: Heartbeat[] = [];
    let online = false;
    const observer = mqtt.connect(url, { clientId: 'df-observer' });
    observer.on('message', (topic, p) => {
      const msg = JSON.parse(p.toString());
      if (topic.endsWith('/alert') && msg.kind === 'outbox-filling') alerts.push(msg);
      else if (topic.endsWith('/heartbeat')) heartbeats.push(msg);
      else if (topic.endsWith('/status')) online = msg.online;
    });
    await new Promise<void>((r) => observer.once('connect', () => r()));
    await observer.subscribeAsync('tg/df/gate/gate-1/+', { qos: 1 });
    const terminal = new FaceTerminal({
      brokerUrl: url,
      deviceId: 'T1',
      thermometer: { unit: 'celsius' },
      reconnectPeriodMs: 200,
    });
    let edge: Tracked | undefined;
    try {
      edge = spawnTracked(process.execPath, ['--import', 'tsx', 'edge/cli.ts', '--config', config], {
        cwd: ROOT,
      });
      const child = edge;
      await waitFor(() => online || !child.alive(), { what: 'gate online', timeoutMs: 20_000 });
      expect(child.alive()).toBe(true);
      await terminal.start();
      await terminal.waitOnline();

      const results: PresentResult[] = [];
      const present = async () => {
        const n = results.length;
        const r = await terminal.present({
          employeeNo: `E${n}`,
          name: `P${n}`,
          mask: 'yes',
          temperatureTenths: 360 + (n % 10),
        });
        results.push(r);
        return r;
      };
      for (let i = 0; i < 5; i++) await present();

      ballastDownTo(disk, ballast, 3 * MB);
      const filling = await waitFor(() => alerts.find((a) => a.active), {
        what: 'outbox-filling alert for the disk',
        timeoutMs: 20_000,
      });
      expect(filling).toMatchObject({ kind: 'outbox-filling', severity: 'minor', active: true });
      expect(filling.detail).toMatch(
        /^gate disk nearly full \(filling\): [23]\.\d MB free .*\(reserve 1\.0 MB\)/,
      );
      await waitFor(() => (heartbeats.at(-1)?.outbox.freeDiskBytes ?? Number.POSITIVE_INFINITY) < 4 * MB, {
        what: 'heartbeat with the free space',
      });

      fillCompletely(ballast);
      for (let i = 0; i < 40 && !alerts.some((a) => a.detail.startsWith('gate disk full')); i++)
        await present();
      const full = await waitFor(() => alerts.find((a) => a.detail.startsWith('gate disk full')), {
        what: 'outbox-filling alert: disk full, readings held',
      });
      expect(full).toMatchObject({ severity: 'critical', active: true });
      expect(full.detail).toMatch(
        /SQLITE_FULL\), \d+ readings? held in memory, not yet on disk; 0\.0 MB free/,
      );
      for (let i = 0; i < 10; i++) await present(); // decided while held
      await waitFor(() => (heartbeats.at(-1)?.outbox.spilled ?? 0) > 0, {
        what: 'heartbeat shows held readings',
      });
      expect(child.alive()).toBe(true);
      // Every person got a verdict in time and was let through: 'keep' goes on deciding.
      expect(results.every((r) => r.verdict?.checkResult === 'success' && !r.timedOut)).toBe(true);

      rmSync(ballast);
      const clearedAfter = alerts.length;
      await waitFor(() => alerts.slice(clearedAfter).find((a) => !a.active), {
        what: 'outbox-filling alert cleared',
        timeoutMs: 15_000,
      });
      const store = createReadingStore({ kind: 'sqlite', path: sinkPath });
      try {
        const read = () => store.readingsByGate({ gateId: 'gate-1', ...ALL });
        await waitFor(async () => (await read()).length >= results.length, {
          what: `all ${results.length} readings in the sink`,
          timeoutMs: 20_000,
          intervalMs: 200,
        });
        const stored = await read();
        expect(stored.map((r) => r.terminalSerialNo)).toEqual(results.map((r) => r.serialNo));
        const seqs = stored.map((r) => r.seq);
        expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] as number) + i));
        expect(stored.map((r) => r.temperatureTenths)).toEqual(results.map((_, n) => 360 + (n % 10)));
      } finally {
        await store.close();
      }
      expect(child.alive()).toBe(true);
      expect(child.output()).toMatch(/TG_OUTBOX_SPILLED/);
      expect(child.output()).not.toMatch(/TG_EDGE_FATAL|TG_OUTBOX_SPILL_LOST/);
      const exit = await child.stop('SIGTERM', 10_000);
      expect(exit.code).toBe(0);
    } finally {
      await edge?.stop('SIGKILL', 5000);
      await terminal.stop();
      observer.end(true);
      await broker.close();
    }
  });
});
