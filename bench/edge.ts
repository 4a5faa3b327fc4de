/**
 * Edge processing time, our own code only (no network, no device): a real Gate with a real GateIo,
 * a real durable outbox (SQLite, WAL) and an in-memory GPIO backend and bus that timestamp the
 * moment the release line is written and the verdict handed to MQTT.
 *   1. measurement received → release line written (the face event was already waiting)
 *   2. face event received (bytes) → verdict published (the measurement was already there)
 * Reported as p50/p99 over thousands of passages, in repeated rounds (median of the rounds).
 * Target: p99 < 1 ms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { systemClock } from '../edge/clock.ts';
import { parseEdgeConfig } from '../edge/config/load.ts';
import { AccessList } from '../edge/core/access-list.ts';
import { Gate, type Publisher } from '../edge/core/gate.ts';
import { GateIo } from '../edge/gpio/gate-io.ts';
import { MemoryBackend } from '../test/doubles/edge/gpio-memory.ts';
import { createRecorder } from '../edge/storage/recorder.ts';
import type { Measurement } from '../edge/thermometer/types.ts';
import { emitResult } from './lib/result.ts';
import { median, summarize, table } from './stats.ts';

const PASSAGES = Number(process.env.BENCH_PASSAGES ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

class TimedBackend extends MemoryBackend {
  releaseAt = 0n;
  override write(line: 'release' | 'green' | 'red' | 'buzzer', value: 0 | 1): void {
    if (line === 'release' && value === 1) this.releaseAt = process.hrtime.bigint();
    super.write(line, value);
  }
}

class TimedBus implements Publisher {
  verdictAt = 0n;
  publish(topic: string): void {
    if (topic.endsWith('/verdict')) this.verdictAt = process.hrtime.bigint();
  }
}

async function round(): Promise<{ measToRelease: number[]; eventToVerdict: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-bench-edge-'));
  const cfg = parseEdgeConfig({
    siteId: 'bench',
    gateId: 'gate-1',
    dataDir: dir,
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    thermometer: { protocol: 'modbus-ir', port: '/dev/null' },
    terminal: { deviceId: 'T1' },
    policy: { accessListRequired: false },
    turnstile: { drive: 'both', openMs: 500 },
  });
  const backend = new TimedBackend();
  const io = new GateIo({ backend, clock: systemClock, openMs: 500 });
  const bus = new TimedBus();
  const recorder = createRecorder(
    { outboxPath: join(dir, 'outbox.sqlite'), sink: { kind: 'none' }, capacity: 10_000_000 },
    { logger: pino({ level: 'silent' }) },
  );
  const gate = new Gate({
    cfg,
    clock: systemClock,
    log: pino({ level: 'silent' }),
    io,
    recorder,
    bus,
    accessList: new AccessList(),
    thermometerState: () => 'online',
    requestMeasurement: () => {},
  });
  let serial = 1;
  const event = () =>
    JSON.stringify({
      serialNo: serial++,
      dateTime: new Date().toISOString(),
      employeeNoString: `E${serial % 5000}`,
      name: '张伟',
      similarity: 0.93,
      mask: 'yes',
      remoteCheck: true,
      isRealtime: true,
    });
  const measurement = (): Measurement => ({
    at: Date.now(),
    sensor: 'modbus-ir',
    rawTenths: 360 + (serial % 12),
    ambientTenths: 251,
    sensorSeq: serial,
    valid: true,
    sensorFault: false,
    belowRange: false,
    aboveRange: false,
    distanceMm: 450,
  });
  const measToRelease: number[] = [];
  const eventToVerdict: number[] = [];
  for (let i = 0; i < PASSAGES; i++) {
    // 1. face event first, measurement arrives while the gate waits for it
    const pending = gate.onFaceEvent(event());
    const t0 = process.hrtime.bigint();
    gate.onMeasurement(measurement());
    await pending;
    measToRelease.push(Number(backend.releaseAt - t0) / 1e6);
    // 2. measurement first, then the face event
    gate.onMeasurement(measurement());
    const t1 = process.hrtime.bigint();
    await gate.onFaceEvent(event());
    eventToVerdict.push(Number(bus.verdictAt - t1) / 1e6);
  }
  await io.close();
  await recorder.close();
  rmSync(dir, { recursive: true, force: true });
  return { measToRelease, eventToVerdict };
}

async function main(): Promise<void> {
  const rows: { name: string; p50: number[]; p99: number[]; n: number }[] = [
    { name: 'measurement received → release line written', p50: [], p99: [], n: 0 },
    { name: 'face event received → verdict published', p50: [], p99: [], n: 0 },
  ];
  await round(); // warm-up: JIT, SQLite page cache
  for (let r = 0; r < ROUNDS; r++) {
    const res = await round();
    [res.measToRelease, res.eventToVerdict].forEach((samples, i) => {
      const s = summarize(samples);
      const row = rows[i] as (typeof rows)[0];
      row.p50.push(s.p50);
      row.p99.push(s.p99);
      row.n += s.n;
    });
    process.stderr.write(`edge bench: round ${r + 1}/${ROUNDS} done\n`);
  }
  const fmt = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
  process.stdout.write(
    `\n## Edge processing (our own code, ${PASSAGES} passages × ${ROUNDS} rounds, median of rounds)\n\n`,
  );
  process.stdout.write(
    `${table(
      ['path', 'p50', 'p99', 'target p99', 'met'],
      rows.map((r) => [
        r.name,
        fmt(median(r.p50)),
        fmt(median(r.p99)),
        '< 1 ms',
        median(r.p99) < 1 ? 'yes' : 'NO',
      ]),
    )}\n\n`,
  );
  emitResult({
    bench: 'edge',
    figures: {
      passages: PASSAGES,
      rounds: ROUNDS,
      paths: rows.map((r) => ({ name: r.name, p50ms: r.p50, p99ms: r.p99, n: r.n })),
    },
    targets: rows.map((r) => ({
      figure: `edge: ${r.name}, p99`,
      value: `${fmt(median(r.p99))} (p50 ${fmt(median(r.p50))})`,
      target: '< 1 ms',
      met: median(r.p99) < 1,
    })),
  });
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
