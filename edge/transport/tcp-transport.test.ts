import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../protocols/hex.ts';
import { ModbusIrDriver } from '../thermometer/modbus-ir-driver.ts';
import { FakeIrDevice } from '../../test/doubles/edge/thermometer-devices.ts';
import type { Measurement } from '../thermometer/types.ts';
import { TcpTransport } from './tcp-transport.ts';

/** A local "serial device server": one TCP connection at a time, handed to `onSocket`. */
async function deviceServer(
  onSocket: (s: net.Socket) => void,
): Promise<{ port: number; sockets: Set<net.Socket>; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    sockets,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function next<T>(subscribe: (fn: (v: T) => void) => () => void, timeoutMs = 2000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      off();
      reject(new Error('timed out'));
    }, timeoutMs);
    const off = subscribe((v) => {
      clearTimeout(t);
      off();
      resolve(v);
    });
  });
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('TcpTransport', () => {
  it('carries bytes both ways with noDelay and keepalive, and reports a peer close', async () => {
    const srv = await deviceServer((s) => s.on('data', (d) => s.write(Buffer.from([...d].reverse()))));
    cleanup.push(srv.close);
    const t = new TcpTransport({ host: '127.0.0.1', port: srv.port });
    cleanup.push(() => t.close());
    await t.open();
    expect(t.isOpen).toBe(true);
    expect(t.description).toBe(`tcp://127.0.0.1:${srv.port}`);
    const got = next<Uint8Array>((fn) => t.on('data', fn));
    await t.write(fromHex('01 02 03'));
    expect(toHex(await got)).toBe('03 02 01');

    const closed = next<{ reason: string }>((fn) => t.on('close', fn));
    for (const s of srv.sockets) s.destroy();
    expect((await closed).reason).toMatch(/closed by peer|ECONNRESET/);
    expect(t.isOpen).toBe(false);
    await expect(t.write(fromHex('01'))).rejects.toMatchObject({ code: 'TG_EDGE_TRANSPORT_NOT_OPEN' });
  });

  it('fails to open with a typed error when nothing listens', async () => {
    const srv = await deviceServer(() => {});
    const port = srv.port;
    await srv.close();
    const t = new TcpTransport({ host: '127.0.0.1', port });
    await expect(t.open()).rejects.toMatchObject({ code: 'TG_EDGE_TRANSPORT_OPEN_FAILED' });
  });

  it('does not report its own close()', async () => {
    const srv = await deviceServer(() => {});
    cleanup.push(srv.close);
    const t = new TcpTransport({ host: '127.0.0.1', port: srv.port });
    const closes: unknown[] = [];
    t.on('close', (e) => closes.push(e));
    await t.open();
    await t.close();
    expect(closes).toEqual([]);
  });

  it('a Modbus thermometer behind a device server: measurements, then offline and back when the server drops us', async () => {
    const device = new FakeIrDevice();
    const srv = await deviceServer((s) =>
      s.on('data', (d) => {
        for (const answer of device.receive(d)) s.write(answer);
      }),
    );
    cleanup.push(srv.close);
    const driver = new ModbusIrDriver({
      transport: new TcpTransport({ host: '127.0.0.1', port: srv.port }),
      pollIntervalMs: 20,
      reconnect: { minDelayMs: 20, maxDelayMs: 100 },
    });
    cleanup.push(() => driver.stop());
    const states: string[] = [];
    driver.on('state', (s) => states.push(s));
    await driver.start();
    await next<string>((fn) => driver.on('state', fn));
    const m = next<Measurement>((fn) => driver.on('measurement', fn));
    device.measure(372);
    expect((await m).rawTenths).toBe(372);

    const offline = next<string>((fn) => driver.on('state', fn));
    for (const s of srv.sockets) s.destroy();
    expect(await offline).toBe('offline');
    await next<string>((fn) => driver.on('state', fn));
    expect(driver.state).toBe('online');
    expect(driver.stats.reconnects).toBe(1);
    expect(states).toEqual(['online', 'offline', 'online']);
  });
});
