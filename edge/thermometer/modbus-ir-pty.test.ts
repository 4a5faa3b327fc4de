/**
 * The Modbus driver over the real SerialTransport on a socat pty pair, with a test-local device
 * (built from the protocol codecs) on the other end. Unplug = kill socat, like pulling the adapter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPtyPair, type PtyPair, socatAvailable } from '../../test/harness/pty.ts';
import { waitFor } from '../../test/harness/wait.ts';
import { encodeFrame, matchCommand } from '../../protocols/gy-mlx90615/index.ts';
import { SerialTransport } from '../transport/serial-transport.ts';
import { GyMlx90615Driver } from './gy-mlx90615-driver.ts';
import { ModbusIrDriver } from './modbus-ir-driver.ts';
import { FakeIrDevice } from '../../test/doubles/edge/thermometer-devices.ts';
import type { Measurement, ThermometerLinkState } from './types.ts';

/** Serves a FakeIrDevice on one end of the pair. */
async function serveIrDevice(path: string, device: FakeIrDevice): Promise<SerialTransport> {
  const port = new SerialTransport({ path });
  await port.open();
  port.on('data', (d) => {
    for (const answer of device.receive(d)) port.write(answer).catch(() => {});
  });
  return port;
}

describe.skipIf(!socatAvailable())('thermometer drivers on a real pty', () => {
  let pair: PtyPair;
  beforeAll(async () => {
    pair = await createPtyPair();
  });
  afterAll(async () => {
    await pair?.close();
  });

  it('modbus-ir: measurements, offline when unplugged, back online after replug at the same path', async () => {
    const device = new FakeIrDevice();
    let devicePort = await serveIrDevice(pair.b, device);
    const driver = new ModbusIrDriver({
      transport: new SerialTransport({ path: pair.a, baudRate: 9600 }),
      pollIntervalMs: 30,
      reconnect: { minDelayMs: 30, maxDelayMs: 150 },
    });
    const measurements: Measurement[] = [];
    const states: ThermometerLinkState[] = [];
    driver.on('measurement', (m) => measurements.push(m));
    driver.on('state', (s) => states.push(s));
    try {
      await driver.start();
      await waitFor(() => driver.state === 'online', { what: 'driver online', timeoutMs: 3000 });
      await waitFor(() => driver.deviceSettings, { what: 'device settings read', timeoutMs: 3000 });
      expect(driver.deviceSettings).toEqual({ emissivity: 9800, offsetTenths: 0, averagingWindow: 4 });
      device.measure(368);
      await waitFor(() => measurements.length === 1, { what: 'first measurement', timeoutMs: 3000 });
      expect(measurements[0]).toMatchObject({
        sensor: 'modbus-ir',
        rawTenths: 368,
        sensorSeq: 259,
        valid: true,
      });

      await pair.unplug();
      await devicePort.close();
      await waitFor(() => driver.state === 'offline', { what: 'offline after unplug', timeoutMs: 3000 });

      await pair.replug();
      devicePort = await serveIrDevice(pair.b, device);
      await waitFor(() => driver.state === 'online', { what: 'online after replug', timeoutMs: 5000 });
      device.measure(371);
      await waitFor(() => measurements.length === 2, { what: 'measurement after replug', timeoutMs: 3000 });
      expect(measurements[1]).toMatchObject({ rawTenths: 371, sensorSeq: 260 });
      expect(driver.stats.reconnects).toBeGreaterThanOrEqual(1);
      expect(states).toEqual(['online', 'offline', 'online']);
    } finally {
      await driver.stop();
      await devicePort.close();
    }
  });

  it('gy-mlx90615 continuous: the module streams, the driver emits every frame and stops the stream', async () => {
    const modulePort = new SerialTransport({ path: pair.b });
    await modulePort.open();
    let timer: NodeJS.Timeout | undefined;
    const commands: string[] = [];
    modulePort.on('data', (d) => {
      for (let i = 0; i + 3 <= d.length; i += 3) {
        const name = matchCommand(d, i);
        if (name) commands.push(name);
        if (name === 'StartContinuous' && !timer)
          timer = setInterval(
            () =>
              modulePort
                .write(encodeFrame({ objectHundredths: 3655, ambientHundredths: 2400 }))
                .catch(() => {}),
            20,
          );
        if (name === 'StopContinuous') {
          clearInterval(timer);
          timer = undefined;
        }
      }
    });
    const driver = new GyMlx90615Driver({
      transport: new SerialTransport({ path: pair.a }),
      mode: 'continuous',
    });
    const measurements: Measurement[] = [];
    driver.on('measurement', (m) => measurements.push(m));
    try {
      await driver.start();
      await waitFor(() => measurements.length >= 3, { what: 'three frames', timeoutMs: 3000 });
      expect(measurements[0]).toMatchObject({ sensor: 'gy-mlx90615', rawTenths: 366, ambientTenths: 240 });
      await driver.stop();
      await waitFor(() => commands.includes('StopContinuous'), { what: 'stop command', timeoutMs: 2000 });
      expect(commands[0]).toBe('StartContinuous');
    } finally {
      clearInterval(timer);
      await driver.stop();
      await modulePort.close();
    }
  });
});
