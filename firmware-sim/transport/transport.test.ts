/**
 * The devices on real transports: socat pty pairs (with Debian's mbpoll and the `serialport`
 * package as masters) and TCP sockets. Bounded in time; every pty and socket is closed afterwards.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { Command, GyFrameParser } from '../../protocols/gy-mlx90615/index.ts';
import { fromHex, toHex } from '../../protocols/hex.ts';
import { createPtyPair, type PtyPair, socatAvailable } from '../../test/harness/pty.ts';
import { waitFor } from '../../test/harness/wait.ts';
import type { SerialLink } from './serial-link.ts';
import type { TcpDeviceServer } from './tcp-server.ts';
import { ThermometerSim } from '../thermometer-sim.ts';

const POLL = fromHex('01 04 00 00 00 05 30 09');
const SPEC_ANSWER = '01 04 0A 01 6E 00 FB 00 03 01 02 01 C2 4A 28';
const hasSocat = socatAvailable();
const hasMbpoll = existsSync('/usr/bin/mbpoll');

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function ptyPair(): Promise<PtyPair> {
  const p = await createPtyPair();
  cleanups.push(() => p.close());
  return p;
}

/** A Modbus thermometer in the datasheet's vector state, on `endpoint`. */
async function specSim(endpoint: ConstructorParameters<typeof ThermometerSim>[0]['endpoint']) {
  const sim = new ThermometerSim({ protocol: 'modbus-ir', endpoint, settleMs: 0 });
  sim.modbus?.setTemperature(366, 251);
  // Sequence 257 → the first measurement makes it 258 as in the vector.
  for (let i = 0; i < 257; i++) sim.modbus?.measureNow();
  sim.modbus?.measureNow();
  await sim.start();
  cleanups.push(() => sim.stop());
  return sim;
}

function mbpoll(args: string[]): Promise<{ stdout: string; code: number }> {
  return new Promise((resolve) => {
    execFile('/usr/bin/mbpoll', args, { timeout: 5000 }, (err, stdout, stderr) => {
      const code = err ? Number((err as { code?: number }).code ?? 1) : 0;
      resolve({ stdout: stdout + stderr, code });
    });
  });
}

/** Registers from mbpoll's output lines `[ref]: \tvalue`. */
function mbpollValues(out: string): Record<number, number> {
  const regs: Record<number, number> = {};
  for (const m of out.matchAll(/^\[(\d+)\]:\s+(-?\d+)/gm)) regs[Number(m[1])] = Number(m[2]);
  return regs;
}

/** A serialport master: sends a request, collects bytes until `expect` bytes or the timeout. */
async function openMaster(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 9600, lock: false, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
  cleanups.push(() => new Promise<void>((r) => (port.isOpen ? port.close(() => r()) : r())));
  return port;
}

function transact(
  stream: {
    write(b: Buffer): unknown;
    on(e: 'data', f: (b: Buffer) => void): unknown;
    off(e: 'data', f: (b: Buffer) => void): unknown;
  },
  req: Uint8Array,
  expectBytes: number,
  timeoutMs = 500,
): Promise<Uint8Array> {
  return new Promise((resolve) => {
    const got: number[] = [];
    const done = () => {
      clearTimeout(t);
      stream.off('data', on);
      resolve(Uint8Array.from(got));
    };
    const on = (b: Buffer) => {
      got.push(...b);
      if (got.length >= expectBytes) done();
    };
    const t = setTimeout(done, timeoutMs);
    stream.on('data', on);
    stream.write(Buffer.from(req));
  });
}

describe.skipIf(!hasSocat)('modbus-ir on a pty', () => {
  it.skipIf(!hasMbpoll)(
    'mbpoll reads the datasheet registers, writes the offset, sees exception 02',
    async () => {
      const pair = await ptyPair();
      const sim = await specSim({ kind: 'serial', path: pair.a });
      await (sim.link as SerialLink).waitOpen(3000);
      const base = ['-m', 'rtu', '-a', '1', '-b', '9600', '-P', 'none', '-0', '-1', '-o', '1'];

      const read = await mbpoll([...base, '-t', '3', '-r', '0', '-c', '5', pair.b]);
      expect(read.code, read.stdout).toBe(0);
      expect(mbpollValues(read.stdout)).toEqual({ 0: 366, 1: 251, 2: 3, 3: 258, 4: 450 });

      const holding = await mbpoll([...base, '-t', '4', '-r', '16', '-c', '3', pair.b]);
      expect(mbpollValues(holding.stdout)).toEqual({ 16: 9800, 17: 0, 18: 4 });

      // Write -0.5 °C into the offset: mbpoll's 16-bit registers are unsigned, so -5 is 0xFFFB.
      const write = await mbpoll([...base, '-t', '4', '-r', '17', pair.b, String(0xfffb)]);
      expect(write.code, write.stdout).toBe(0);
      const after = await mbpoll([...base, '-t', '3', '-r', '0', '-c', '1', pair.b]);
      expect(mbpollValues(after.stdout)).toEqual({ 0: 361 });

      const unmapped = await mbpoll([...base, '-t', '3', '-r', '32', '-c', '1', pair.b]);
      expect(unmapped.stdout).toMatch(/illegal data address/i);
      expect(sim.modbus?.stats.exceptions).toBe(1);
    },
  );

  it('answers a serialport master with the datasheet bytes, ignores slave 2', async () => {
    const pair = await ptyPair();
    const sim = await specSim({ kind: 'serial', path: pair.a });
    await (sim.link as SerialLink).waitOpen(3000);
    const master = await openMaster(pair.b);
    expect(toHex(await transact(master, POLL, 15))).toBe(SPEC_ANSWER);
    const t0 = Date.now();
    const none = await transact(master, fromHex('02 04 00 00 00 05 30 3A'), 5, 200);
    expect(none).toHaveLength(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
  });

  it('reopens the same link path after the pty vanishes and answers again', async () => {
    const pair = await ptyPair();
    const sim = await specSim({ kind: 'serial', path: pair.a });
    const link = sim.link as SerialLink;
    await link.waitOpen(3000);
    await pair.unplug();
    await waitFor(() => !link.isUp, { timeoutMs: 3000, what: 'sim to notice the unplug' });
    await pair.replug();
    await link.waitOpen(3000);
    const master = await openMaster(pair.b);
    expect(toHex(await transact(master, POLL, 15))).toBe(SPEC_ANSWER);
  });
});

describe.skipIf(!hasSocat)('a link path re-pointed to a new pty', () => {
  it('follows it even when the old pty never reports going away', async () => {
    const first = await ptyPair();
    const second = await ptyPair();
    // Our own link name, like a udev symlink: the old pty (and its socat) stay alive, so the
    // serialport binding has nothing to report; only the path now names another device.
    const dir = mkdtempSync(join(tmpdir(), 'tg-sim-link-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'thermometer');
    symlinkSync(first.a, path);
    const sim = await specSim({ kind: 'serial', path });
    const link = sim.link as SerialLink;
    await link.waitOpen(3000);
    symlinkSync(second.a, `${path}.new`);
    renameSync(`${path}.new`, path);
    const master = await openMaster(second.b);
    await waitFor(async () => toHex(await transact(master, POLL, 15, 300)) === SPEC_ANSWER, {
      timeoutMs: 5000,
      what: 'the device answering on the new pty',
    });
  });
});

describe.skipIf(!hasSocat)('gy-mlx90615 on a pty', () => {
  it('answers a query and streams in continuous mode until stopped', async () => {
    const pair = await ptyPair();
    const sim = new ThermometerSim({ protocol: 'gy-mlx90615', endpoint: { kind: 'serial', path: pair.a } });
    await sim.start();
    cleanups.push(() => sim.stop());
    await (sim.link as SerialLink).waitOpen(3000);
    sim.gy?.setObject(3662);
    const master = await openMaster(pair.b);
    const parser = new GyFrameParser();
    const readings: { objectHundredths: number; ambientHundredths: number }[] = [];
    master.on('data', (b: Buffer) => readings.push(...parser.push(b)));

    master.write(Buffer.from(Command.Query));
    await waitFor(() => readings.length === 1, { timeoutMs: 1000, what: 'one query frame' });
    expect(readings[0]).toEqual({ objectHundredths: 3662, ambientHundredths: 2510 });

    master.write(Buffer.from(Command.StartContinuous));
    await waitFor(() => readings.length >= 4, { timeoutMs: 1500, what: 'continuous frames' });
    master.write(Buffer.from(Command.StopContinuous));
    await waitFor(() => sim.gy?.isContinuous === false, { timeoutMs: 1000, what: 'continuous mode off' });
    const n = readings.length;
    await new Promise((r) => setTimeout(r, 250));
    expect(readings.length).toBe(n);
    expect(parser.stats.badFrames).toBe(0);
  });
});

describe('modbus-ir on the TCP device server', () => {
  async function connect(port: number): Promise<net.Socket> {
    const s = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((res, rej) => {
      s.once('connect', () => res());
      s.once('error', rej);
    });
    cleanups.push(() => s.destroy());
    return s;
  }

  it('answers a net.Socket master; a new client takes over; unplug refuses, replug answers', async () => {
    const sim = await specSim({ kind: 'tcp', host: '127.0.0.1', port: 0 });
    const server = sim.link as TcpDeviceServer;
    const { port } = server.address();
    expect(port).toBeGreaterThan(0);

    const a = await connect(port);
    expect(toHex(await transact(a, POLL, 15))).toBe(SPEC_ANSWER);

    const aClosed = new Promise<void>((r) => a.once('close', () => r()));
    const b = await connect(port);
    await aClosed;
    expect(toHex(await transact(b, POLL, 15))).toBe(SPEC_ANSWER);

    const bClosed = new Promise<void>((r) => b.once('close', () => r()));
    await sim.setFault({ kind: 'unplugged' }, true);
    await bClosed;
    await expect(connect(port)).rejects.toThrow(/ECONNREFUSED/);

    await sim.setFault({ kind: 'unplugged' }, false);
    const c = await connect(port);
    expect(toHex(await transact(c, POLL, 15))).toBe(SPEC_ANSWER);
  });

  it('a client that disconnects leaves room for the next one', async () => {
    const sim = await specSim({ kind: 'tcp', host: '127.0.0.1', port: 0 });
    const server = sim.link as TcpDeviceServer;
    const a = await connect(server.address().port);
    a.destroy();
    await waitFor(() => !server.hasClient, { timeoutMs: 1000, what: 'client gone' });
    const b = await connect(server.address().port);
    expect(toHex(await transact(b, POLL, 15))).toBe(SPEC_ANSWER);
  });

  // The datasheet's 20 ms answer bound is the device's own delay: the simulator adds none unless a
  // fault asks for it (measured wall-clock time on a shared machine belongs to the benchmarks).
  it('answers every poll with no added delay unless the slow-answer fault is set', async () => {
    const sim = await specSim({ kind: 'tcp', host: '127.0.0.1', port: 0 });
    expect(sim.modbus?.answerDelayMs).toBe(0);
    const s = await connect((sim.link as TcpDeviceServer).address().port);
    for (let i = 0; i < 10; i++) expect(await transact(s, POLL, 15)).toHaveLength(15);
  });
});
