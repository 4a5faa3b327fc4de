import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../protocols/hex.ts';
import { encodeResponse, FunctionCode } from '../../protocols/modbus-ir/index.ts';
import { FakeClock } from '../../test/doubles/edge/fake-clock.ts';
import { MockTransport } from '../../test/doubles/edge/mock-transport.ts';
import { ModbusIrDriver, type ModbusIrDriverOptions } from './modbus-ir-driver.ts';
import { FakeIrDevice } from '../../test/doubles/edge/thermometer-devices.ts';
import type { Measurement, ThermometerLinkState } from './types.ts';

const POLL = '01 04 00 00 00 05 30 09';
const READ_SETTINGS = '01 03 00 10 00 03 04 0E';
const ANSWER_366 = '01 04 0A 01 6E 00 FB 00 03 01 02 01 C2 4A 28';
const ANSWER_373 = '01 04 0A 01 75 00 FB 00 03 01 03 01 C2 A5 18';

/** Lets promise continuations (async open/close) run between clock steps. */
const settle = () => new Promise<void>((r) => setImmediate(r));

interface Rig {
  clock: FakeClock;
  mock: MockTransport;
  device: FakeIrDevice;
  driver: ModbusIrDriver;
  measurements: Measurement[];
  states: ThermometerLinkState[];
  /** Advances the fake clock and lets async continuations run. */
  run(ms: number): Promise<void>;
  /** What the driver wrote, as hex, since the last call. */
  sent(): string[];
}

function rig(opts: Partial<ModbusIrDriverOptions> = {}, replyDelayMs = 5): Rig {
  const clock = new FakeClock();
  const mock = new MockTransport();
  const device = new FakeIrDevice();
  mock.onWrite = (bytes) => {
    for (const answer of device.receive(bytes)) clock.setTimeout(() => mock.feed(answer), replyDelayMs);
  };
  const driver = new ModbusIrDriver({
    transport: mock,
    clock,
    reconnect: { minDelayMs: 100, maxDelayMs: 1000, jitter: 0 },
    ...opts,
  });
  const measurements: Measurement[] = [];
  const states: ThermometerLinkState[] = [];
  driver.on('measurement', (m) => measurements.push(m));
  driver.on('state', (s) => states.push(s));
  return {
    clock,
    mock,
    device,
    driver,
    measurements,
    states,
    async run(ms) {
      clock.advance(ms);
      await settle();
    },
    sent: () => mock.takeWritten().map(toHex),
  };
}

describe('ModbusIrDriver on a mock transport', () => {
  let r: Rig;
  beforeEach(async () => {
    r = rig();
    await r.driver.start();
  });
  afterEach(async () => {
    await r.driver.stop();
  });

  it('computes the response timeout from the 20 ms bound, the wire time and the margin', () => {
    // 20 ms + (8 + 15 bytes × 10 bits at 9600 baud ≈ 23.96 ms) + 50 ms margin, rounded up.
    expect(r.driver.responseTimeoutMs).toBe(94);
    expect(
      new ModbusIrDriver({ transport: new MockTransport(), baudRate: 115200, responseMarginMs: 10 })
        .responseTimeoutMs,
    ).toBe(32);
  });

  it('polls with the datasheet frame, takes the first answer as a baseline, then reads the settings once', async () => {
    expect(r.sent()).toEqual([POLL]);
    expect(r.driver.state).toBe('offline');
    await r.run(5);
    expect(r.driver.state).toBe('online');
    expect(r.states).toEqual(['online']);
    expect(r.measurements).toEqual([]); // the register may hold a reading from long ago
    await r.run(200);
    expect(r.sent()).toEqual([READ_SETTINGS]);
    expect(r.driver.deviceSettings).toEqual({ emissivity: 9800, offsetTenths: 0, averagingWindow: 4 });
    await r.run(400);
    expect(r.sent()).toEqual([POLL, POLL]);
  });

  it('emits a measurement when the sequence changes and the valid bit is set, not when unchanged', async () => {
    await r.run(5);
    r.device.measure(373);
    await r.run(400);
    expect(r.measurements).toHaveLength(1);
    expect(r.measurements[0]).toEqual({
      at: r.clock.now(),
      sensor: 'modbus-ir',
      rawTenths: 373,
      ambientTenths: 251,
      sensorSeq: 259,
      valid: true,
      sensorFault: false,
      belowRange: false,
      aboveRange: false,
      distanceMm: 450,
    });
    await r.run(1000); // five more polls, same sequence
    expect(r.measurements).toHaveLength(1);
    expect(r.driver.stats.measurements).toBe(1);
  });

  it('treats 65535 → 0 as a new measurement', async () => {
    r.device.state.sequence = 65535;
    await r.run(5);
    r.device.measure(365);
    await r.run(400);
    expect(r.measurements.map((m) => m.sensorSeq)).toEqual([0]);
  });

  it('ignores a new sequence without the valid bit, reports out-of-range and fault ones', async () => {
    await r.run(5);
    r.device.measure(300, { targetPresent: true }); // target left before the reading completed
    await r.run(400);
    expect(r.measurements).toEqual([]);
    r.device.measure(300, { targetPresent: true, belowRange: true });
    await r.run(200);
    expect(r.measurements.map((m) => [m.valid, m.belowRange])).toEqual([[false, true]]);
    r.device.measure(0, { sensorFault: true });
    await r.run(200);
    expect(r.driver.state).toBe('fault');
    expect(r.measurements.at(-1)?.sensorFault).toBe(true);
    r.device.state.status = { measurementValid: true };
    await r.run(200);
    expect(r.driver.state).toBe('online');
    expect(r.states).toEqual(['online', 'fault', 'online']);
  });

  it('counts an exception answer without throwing; the device is still there', async () => {
    r.device.state.exception = 0x02;
    await r.run(1000);
    expect(r.driver.stats.exceptions).toBeGreaterThanOrEqual(4);
    expect(r.driver.stats.timeouts).toBe(0);
    expect(r.driver.state).toBe('online');
    expect(r.measurements).toEqual([]);
  });

  it('counts a wrong-slave answer and still times out the request', async () => {
    r.mock.onWrite = () => {
      r.clock.setTimeout(
        () =>
          r.mock.feed(
            encodeResponse({ slave: 7, fn: FunctionCode.ReadInputRegisters, registers: [1, 2, 3, 4, 5] }),
          ),
        5,
      );
    };
    await r.run(300); // poll at 200, foreign answer at 205, timeout at 294
    expect(r.driver.stats.wrongSlave).toBe(1);
    expect(r.driver.stats.timeouts).toBe(1);
  });

  it('finds answers among garbage and across split reads, counting what it drops', async () => {
    await r.run(5); // baseline (sequence 258)
    r.mock.onWrite = () => {};
    await r.run(200); // settings read goes out at 200: no answer this time
    r.sent();
    await r.run(195); // next poll at 400
    expect(r.sent()).toEqual([POLL]);
    const bytes = new Uint8Array([...fromHex('FF 00 13 01'), ...fromHex(ANSWER_373)]);
    for (let i = 0; i < bytes.length; i += 3) r.mock.feed(bytes.slice(i, i + 3));
    expect(r.measurements.map((m) => [m.rawTenths, m.sensorSeq])).toEqual([[373, 259]]);
    expect(r.driver.stats.droppedBytes).toBeGreaterThanOrEqual(4);
    expect(r.driver.stats.badFrames).toBeGreaterThanOrEqual(1);
  });

  it('decodes the datasheet answers', async () => {
    r.mock.onWrite = () => {};
    r.mock.feed(fromHex(ANSWER_366));
    r.mock.feed(fromHex(ANSWER_373));
    expect(r.measurements.map((m) => [m.rawTenths, m.ambientTenths, m.sensorSeq, m.distanceMm])).toEqual([
      [373, 251, 259, 450],
    ]);
  });

  it('goes offline after 3 silent polls, back online when answers return (first one a baseline)', async () => {
    await r.run(5);
    r.device.state.answering = false;
    await r.run(400);
    expect(r.driver.state).toBe('online'); // one or two misses are not an outage
    await r.run(400);
    expect(r.driver.state).toBe('offline');
    expect(r.driver.stats.timeouts).toBe(3);
    r.device.measure(380); // measured while we could not hear it: stale by the time we can
    r.device.state.answering = true;
    await r.run(200);
    expect(r.driver.state).toBe('online');
    expect(r.measurements).toEqual([]);
    r.device.measure(367);
    await r.run(600);
    expect(r.measurements.map((m) => m.rawTenths)).toEqual([367]);
    expect(r.states).toEqual(['online', 'offline', 'online']);
  });

  it('requestMeasurement() never puts a second request on the bus, and polls right after the answer', async () => {
    await r.run(5);
    await r.run(200); // settings
    await r.run(5);
    r.sent();
    await r.run(185); // t = 395: idle, the next poll would be at 400
    r.driver.requestMeasurement();
    expect(r.sent()).toEqual([POLL]); // idle: at once
    r.driver.requestMeasurement();
    r.driver.requestMeasurement();
    expect(r.sent()).toEqual([]); // in flight: no second request
    await r.run(5); // answer
    await r.run(5); // next poll after the inter-frame gap, not after the full interval
    expect(r.sent()).toEqual([POLL]);
    await r.run(100);
    expect(r.sent()).toEqual([]); // back to the normal pace
  });

  it('goes offline when the port vanishes, reconnects with backoff and polls again', async () => {
    await r.run(5);
    r.mock.unplug('adapter pulled');
    expect(r.driver.state).toBe('offline');
    await r.run(100); // first retry fails: still unplugged
    await r.run(200); // second retry also fails
    expect(r.mock.openCalls).toBe(3);
    r.mock.replug();
    r.sent();
    await r.run(400);
    expect(r.mock.openCalls).toBe(4);
    expect(r.driver.stats.reconnects).toBe(1);
    await r.run(5);
    expect(r.driver.state).toBe('online');
    expect(r.sent()[0]).toBe(POLL);
    expect(r.states).toEqual(['online', 'offline', 'online']);
  });

  it('recycles a link that stays silent', async () => {
    const q = rig({ recycleAfterTimeouts: 5, pollIntervalMs: 100 });
    q.device.state.answering = false;
    await q.driver.start();
    await q.run(1000);
    expect(q.mock.openCalls).toBeGreaterThanOrEqual(2);
    await q.driver.stop();
  });

  it('stop() closes the link and stops polling', async () => {
    await r.driver.stop();
    r.sent();
    await r.run(1000);
    expect(r.sent()).toEqual([]);
    expect(r.mock.isOpen).toBe(false);
  });
});

describe('ModbusIrDriver options', () => {
  it('rejects a slave address outside 1..247 with a typed error', () => {
    expect(() => new ModbusIrDriver({ transport: new MockTransport(), slave: 248 })).toThrow(
      expect.objectContaining({ code: 'TG_EDGE_THERMOMETER_BAD_OPTION' }),
    );
  });

  it('starts with the adapter unplugged and reports offline without throwing', async () => {
    const r = rig();
    r.mock.plugged = false;
    await r.driver.start();
    expect(r.driver.state).toBe('offline');
    r.mock.replug();
    await r.run(200); // one failure so far: min delay × 2
    await r.run(5);
    expect(r.driver.state).toBe('online');
    expect(r.driver.stats.reconnects).toBe(0); // the first successful open is no reconnect
    await r.driver.stop();
  });
});
