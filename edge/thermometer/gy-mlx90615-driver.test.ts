import { describe, expect, it } from 'vitest';
import { encodeFrame, matchCommand } from '../../protocols/gy-mlx90615/index.ts';
import { fromHex, toHex } from '../../protocols/hex.ts';
import { FakeClock } from '../../test/doubles/edge/fake-clock.ts';
import { MockTransport } from '../../test/doubles/edge/mock-transport.ts';
import { GyMlx90615Driver, type GyMlx90615DriverOptions } from './gy-mlx90615-driver.ts';
import type { Measurement, ThermometerLinkState } from './types.ts';

const QUERY = 'A5 45 EA';
const START = 'A5 51 F6';
const STOP = 'A5 52 F7';
const EXAMPLE = '5A 5A 45 04 0E 4E 09 CE 30'; // 36.62 °C object, 25.10 °C ambient

const settle = () => new Promise<void>((r) => setImmediate(r));

/** A test-local module built from the codec: answers queries, streams every 100 ms when started. */
class FakeModule {
  streaming = false;
  answering = true;
  objectHundredths = 3662;
  private timer: { cancel(): void } | undefined;
  constructor(
    private readonly clock: FakeClock,
    private readonly port: MockTransport,
  ) {
    port.onWrite = (bytes) => {
      for (let i = 0; i + 3 <= bytes.length; i += 3) this.command(matchCommand(bytes, i));
    };
  }
  frame(): Uint8Array {
    return encodeFrame({ objectHundredths: this.objectHundredths, ambientHundredths: 2510 });
  }
  private command(name: string | undefined): void {
    if (name === 'Query' && this.answering) this.clock.setTimeout(() => this.port.feed(this.frame()), 5);
    if (name === 'StartContinuous' && !this.streaming) {
      this.streaming = true;
      this.timer = this.clock.setInterval(() => {
        if (this.answering) this.port.feed(this.frame());
      }, 100);
    }
    if (name === 'StopContinuous') {
      this.streaming = false;
      this.timer?.cancel();
    }
  }
}

function rig(opts: Partial<GyMlx90615DriverOptions>) {
  const clock = new FakeClock();
  const mock = new MockTransport();
  const module = new FakeModule(clock, mock);
  const driver = new GyMlx90615Driver({
    transport: mock,
    clock,
    reconnect: { minDelayMs: 100, jitter: 0 },
    ...opts,
  });
  const measurements: Measurement[] = [];
  const states: ThermometerLinkState[] = [];
  driver.on('measurement', (m) => measurements.push(m));
  driver.on('state', (s) => states.push(s));
  return {
    clock,
    mock,
    module,
    driver,
    measurements,
    states,
    async run(ms: number) {
      clock.advance(ms);
      await settle();
    },
    sent: () => mock.takeWritten().map(toHex),
  };
}

describe('GyMlx90615Driver, continuous mode', () => {
  it('starts the stream on open and emits every frame as a measurement', async () => {
    const r = rig({ mode: 'continuous' });
    await r.driver.start();
    expect(r.sent()).toEqual([START]);
    await r.run(300);
    expect(r.measurements).toHaveLength(3);
    expect(r.measurements[0]).toEqual({
      at: r.clock.now() - 200,
      sensor: 'gy-mlx90615',
      rawTenths: 366,
      ambientTenths: 251,
      sensorSeq: null,
      valid: true,
      sensorFault: false,
      belowRange: false,
      aboveRange: false,
      distanceMm: null,
    });
    expect(r.driver.state).toBe('online');
    await r.driver.stop();
    expect(r.sent()).toEqual([STOP]);
    expect(r.mock.isOpen).toBe(false);
  });

  it('re-sends start after ~3 silent periods, goes offline after 3 misses, online again with frames', async () => {
    const r = rig({ mode: 'continuous' });
    await r.driver.start();
    await r.run(100);
    r.sent();
    r.module.answering = false;
    await r.run(300); // last frame at 100: silent until 400
    expect(r.sent()).toEqual([START]);
    expect(r.driver.state).toBe('online');
    await r.run(600);
    expect(r.driver.state).toBe('offline');
    expect(r.driver.stats.timeouts).toBe(3);
    r.module.answering = true;
    await r.run(100);
    expect(r.driver.state).toBe('online');
    expect(r.states).toEqual(['online', 'offline', 'online']);
    await r.driver.stop();
  });

  it('a module power-cycled (stream stopped) is restarted by the resend', async () => {
    const r = rig({ mode: 'continuous' });
    await r.driver.start();
    await r.run(150);
    r.module.streaming = false;
    r.mock.onWrite?.(fromHex(STOP)); // the module forgot it was streaming
    const before = r.measurements.length;
    await r.run(500);
    expect(r.measurements.length).toBeGreaterThan(before);
    expect(r.driver.state).toBe('online');
    await r.driver.stop();
  });

  it('survives garbage and frames split across reads', async () => {
    const r = rig({ mode: 'continuous' });
    r.mock.onWrite = () => {};
    await r.driver.start();
    const bytes = new Uint8Array([...fromHex('00 5A 13 FF'), ...fromHex(EXAMPLE), ...fromHex(EXAMPLE)]);
    for (let i = 0; i < bytes.length; i += 2) r.mock.feed(bytes.slice(i, i + 2));
    expect(r.measurements.map((m) => m.rawTenths)).toEqual([366, 366]);
    expect(r.driver.stats.droppedBytes).toBe(4);
    await r.driver.stop();
  });
});

describe('GyMlx90615Driver, query mode', () => {
  it('stops a leftover stream, then queries every interval; timeouts are counted', async () => {
    const r = rig({ mode: 'query', pollIntervalMs: 200 });
    await r.driver.start();
    expect(r.sent()).toEqual([STOP, QUERY]);
    await r.run(5);
    expect(r.measurements).toHaveLength(1);
    await r.run(400);
    expect(r.sent()).toEqual([QUERY, QUERY]);
    expect(r.measurements).toHaveLength(3);
    r.module.answering = false;
    await r.run(700); // queries at 600, 800, 1000 time out after 83 ms each
    expect(r.driver.stats.timeouts).toBe(3);
    expect(r.driver.state).toBe('offline');
    await r.driver.stop();
    expect(r.sent()).not.toContain(STOP); // nothing to stop in query mode
  });

  it('requestMeasurement() queries at once when idle and never doubles a query in flight', async () => {
    const r = rig({ mode: 'query', pollIntervalMs: 1000 });
    await r.driver.start();
    await r.run(10);
    r.sent();
    r.driver.requestMeasurement();
    r.driver.requestMeasurement();
    expect(r.sent()).toEqual([QUERY]);
    await r.run(5);
    expect(r.measurements).toHaveLength(2);
    await r.driver.stop();
  });
});
