import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import mqtt from 'mqtt';
import { SerialPort } from 'serialport';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Influxd, startInfluxd } from './influxd.ts';
import { type Mosquitto, startMosquitto } from './mosquitto.ts';
import { canConnect, freePort, freePorts } from './ports.ts';
import { createPtyPair, type PtyPair } from './pty.ts';
import { once, waitFor } from './wait.ts';

// These tests prove the harness against the real system tools. They never skip: a missing
// tool must show up as a red test, not as silently reduced coverage.

describe('wait helpers', () => {
  it('waitFor resolves with the truthy value and names `what` on timeout', async () => {
    let n = 0;
    await expect(waitFor(() => ++n >= 3 && n, { what: 'three polls', intervalMs: 1 })).resolves.toBe(3);
    await expect(
      waitFor(
        () => {
          throw new Error('ECONNREFUSED');
        },
        { what: 'the moon', timeoutMs: 50, intervalMs: 10 },
      ),
    ).rejects.toThrow(/waiting for the moon.*ECONNREFUSED/);
  });

  it('once resolves with event args, rejects on error and on timeout', async () => {
    const e = new EventEmitter();
    setTimeout(() => e.emit('data', 1, 2), 5);
    await expect(once(e, 'data', 1000)).resolves.toEqual([1, 2]);
    setTimeout(() => e.emit('error', new Error('boom')), 5);
    await expect(once(e, 'data', 1000)).rejects.toThrow('boom');
    await expect(once(e, 'data', 20)).rejects.toThrow(/event 'data'/);
    expect(e.listenerCount('data') + e.listenerCount('error')).toBe(0);
  });

  it('freePort/freePorts hand out bindable, distinct ports', async () => {
    const p = await freePort();
    const [x, y] = await freePorts(2);
    expect(p).toBeGreaterThan(0);
    expect(x).not.toBe(y);
    expect(await canConnect(p)).toBe(false);
  });
});

function openPort(path: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    // lock: false because a pty refuses the exclusive lock a real tty would get.
    const port = new SerialPort({ path, baudRate: 9600, lock: false }, (err) =>
      err ? reject(err) : resolve(port),
    );
  });
}

/** Collects everything `port` receives so a test can wait for an exact byte string. */
function recorder(port: SerialPort): () => string {
  let got = '';
  port.on('data', (d: Buffer) => {
    got += d.toString('latin1');
  });
  return () => got;
}

async function closePort(port: SerialPort): Promise<void> {
  if (!port.isOpen) return;
  await new Promise<void>((resolve) => port.close(() => resolve()));
}

describe('pty pair (socat)', () => {
  let pair: PtyPair | undefined;
  const ports: SerialPort[] = [];
  afterEach(async () => {
    await Promise.all(ports.splice(0).map(closePort));
    await pair?.close();
    pair = undefined;
  });

  async function exchange(p: PtyPair): Promise<void> {
    const a = await openPort(p.a);
    const b = await openPort(p.b);
    ports.push(a, b);
    const gotA = recorder(a);
    const gotB = recorder(b);
    a.write(Buffer.from([0x02, 0x41, 0x00, 0xff, 0x03]));
    b.write('pong\r\n');
    await waitFor(() => gotB() === '\x02A\x00\xff\x03', { what: 'bytes a -> b' });
    await waitFor(() => gotA() === 'pong\r\n', { what: 'bytes b -> a' });
  }

  it('carries raw bytes both ways', async () => {
    pair = await createPtyPair();
    expect(pair.plugged()).toBe(true);
    await exchange(pair);
  });

  it('unplug removes the links, replug brings them back at the same paths', async () => {
    pair = await createPtyPair();
    const { a, b } = pair;
    await exchange(pair);
    const victim = ports[0] as SerialPort;
    const victimErrors: Error[] = [];
    victim.on('error', (e: Error) => victimErrors.push(e));
    await pair.unplug();
    expect(pair.plugged()).toBe(false);
    expect(existsSync(a) || existsSync(b)).toBe(false);
    await expect(openPort(a)).rejects.toThrow(/ENOENT|No such file/);
    // No assertion on the handle that was open: on a pty, serialport (13) reports nothing after
    // the hang-up when it was reading, and a write's callback then never fires. Code under test
    // has to notice an unplug by timeouts or by the path vanishing, not by an event.
    await Promise.all(ports.splice(0).map(closePort));
    expect(victimErrors.length).toBeLessThanOrEqual(1);

    await pair.replug();
    expect(pair.plugged()).toBe(true);
    expect([pair.a, pair.b]).toEqual([a, b]);
    await exchange(pair);
  });

  it('close() removes the folder and leaves no socat behind', async () => {
    const p = await createPtyPair();
    await p.close();
    await p.close();
    expect(existsSync(p.dir)).toBe(false);
    expect(p.plugged()).toBe(false);
  });
});

describe('influxd', () => {
  let db: Influxd;
  beforeAll(async () => {
    db = await startInfluxd();
  });
  afterAll(async () => {
    await db?.destroy();
  });

  const count = async (client: InfluxDB) =>
    (await client.query<{ count: number }>('SELECT count(celsius) AS count FROM body_temp'))[0]?.count ?? 0;

  it('answers a write and a query through the influx client', async () => {
    expect((await fetch(`${db.url}/ping`)).status).toBe(204);
    const client = new InfluxDB({ host: '127.0.0.1', port: db.port, database: 'tg_harness' });
    await client.createDatabase('tg_harness');
    await client.writePoints([
      {
        measurement: 'body_temp',
        tags: { gate: 'g1' },
        fields: { celsius: 36.6 },
        timestamp: new Date('2024-01-01T00:00:00Z'),
      },
      {
        measurement: 'body_temp',
        tags: { gate: 'g1' },
        fields: { celsius: 38.2 },
        timestamp: new Date('2024-01-01T00:00:01Z'),
      },
    ]);
    const rows = await client.query<{ celsius: number; gate: string }>(
      `SELECT celsius, gate FROM body_temp WHERE gate = 'g1' ORDER BY time`,
    );
    expect(rows.map((r) => r.celsius)).toEqual([36.6, 38.2]);
    expect(rows[0]?.time.toISOString()).toBe('2024-01-01T00:00:00.000Z');
  });

  it('keeps data across stop/restart and across a SIGKILL', async () => {
    const client = new InfluxDB({ host: '127.0.0.1', port: db.port, database: 'tg_harness' });
    expect(await count(client)).toBe(2);
    await db.stop();
    await expect(fetch(`${db.url}/ping`)).rejects.toThrow();
    await db.restart();
    expect(await count(client)).toBe(2);

    await client.writePoints([
      { measurement: 'body_temp', fields: { celsius: 37 }, timestamp: new Date('2024-01-01T00:00:02Z') },
    ]);
    db.kill();
    await waitFor(async () => !(await canConnect(db.port)), { what: 'influxd to die after SIGKILL' });
    await db.restart();
    expect(await count(client)).toBe(3);
  });

  it('with dataDir: keeps the data there after destroy(), and a second influxd serves it', async () => {
    const store = mkdtempSync(join(tmpdir(), 'tg-harness-influx-'));
    try {
      const first = await startInfluxd({
        dataDir: store,
        data: { 'cache-snapshot-memory-size': '256m', 'wal-fsync-delay': '200ms' },
        coordinator: { 'write-timeout': '60s' },
      });
      const a = new InfluxDB({ host: '127.0.0.1', port: first.port, database: 'tg_kept' });
      await a.createDatabase('tg_kept');
      await a.writePoints([{ measurement: 'body_temp', fields: { celsius: 36.9 } }]);
      await first.destroy();
      expect(existsSync(first.dir)).toBe(false);
      expect(existsSync(join(store, 'meta'))).toBe(true);

      const second = await startInfluxd({ dataDir: store });
      try {
        expect(second.port).not.toBe(first.port);
        const b = new InfluxDB({ host: '127.0.0.1', port: second.port, database: 'tg_kept' });
        expect(await count(b)).toBe(1);
      } finally {
        await second.destroy();
      }
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  });
});

describe('mosquitto', () => {
  const brokers: Mosquitto[] = [];
  const clients: mqtt.MqttClient[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await Promise.all(brokers.map((b) => b.destroy()));
  });

  it('relays a message between two mqtt clients and survives a restart', async () => {
    const broker = await startMosquitto();
    brokers.push(broker);
    const sub = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    const pub = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    clients.push(sub, pub);
    await sub.subscribeAsync('thermogate/test/#', { qos: 1 });
    const got = once<[string, Buffer]>(sub, 'message');
    await pub.publishAsync('thermogate/test/temp', '36.6', { qos: 1 });
    const [topic, payload] = await got;
    expect(topic).toBe('thermogate/test/temp');
    expect(payload.toString()).toBe('36.6');

    await broker.stop();
    expect(await canConnect(broker.port)).toBe(false);
    await broker.restart();
    const again = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    clients.push(again);
    expect(again.connected).toBe(true);
  });

  it('reports a broker that cannot start with its own log lines', async () => {
    await expect(startMosquitto({ aclText: 'not an acl line' })).rejects.toThrow(
      /exited during startup[\s\S]*acl_file/,
    );
  });

  it('with passwords: accepts the right one, refuses a wrong one and anonymous', async () => {
    const broker = await startMosquitto({
      passwords: { gate: 's3cret', hr: 'other' },
      aclText: 'user gate\ntopic readwrite thermogate/#',
    });
    brokers.push(broker);
    const ok = await mqtt.connectAsync(broker.url, {
      username: 'gate',
      password: 's3cret',
      reconnectPeriod: 0,
    });
    clients.push(ok);
    expect(ok.connected).toBe(true);
    const hr = await mqtt.connectAsync(broker.url, { username: 'hr', password: 'other', reconnectPeriod: 0 });
    clients.push(hr);
    expect(hr.connected).toBe(true);
    await expect(
      mqtt.connectAsync(broker.url, { username: 'gate', password: 'wrong', reconnectPeriod: 0 }),
    ).rejects.toThrow(/Not authorized|Bad username or password/i);
    await expect(mqtt.connectAsync(broker.url, { reconnectPeriod: 0 })).rejects.toThrow(
      /Not authorized|Bad username/i,
    );
  });
});
