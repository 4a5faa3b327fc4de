/**
 * Every thermometer protocol the edge speaks, by the name `thermometer.protocol` uses in the
 * config (`none`: no thermometer, the terminal's own temperature is used). A new protocol: its
 * codec in protocols/, a driver implementing ThermometerDriver (types.ts), one entry here, and its
 * simulator. An unknown name is a config error (the schema's enum), never a silent fallback: the
 * daemon used to give any protocol that was not `modbus-ir` the UART driver.
 */
import type { Clock } from '../clock.ts';
import type { EdgeConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { ByteTransport } from '../transport/types.ts';
import { GyMlx90615Driver } from './gy-mlx90615-driver.ts';
import { ModbusIrDriver } from './modbus-ir-driver.ts';
import type { ThermometerDriver } from './types.ts';

type Protocol = Exclude<EdgeConfig['thermometer']['protocol'], 'none'>;

export interface ThermometerContext {
  cfg: EdgeConfig['thermometer'];
  transport: ByteTransport;
  clock: Clock;
  log: Logger;
}

export const THERMOMETER_DRIVERS: Record<Protocol, (c: ThermometerContext) => ThermometerDriver> = {
  'modbus-ir': ({ cfg, transport, clock, log }) =>
    new ModbusIrDriver({
      transport,
      clock,
      log,
      slave: cfg.slave,
      baudRate: cfg.baudRate,
      pollIntervalMs: cfg.pollIntervalMs,
    }),
  'gy-mlx90615': ({ cfg, transport, clock, log }) =>
    new GyMlx90615Driver({
      transport,
      clock,
      log,
      mode: cfg.mode,
      baudRate: cfg.baudRate,
      pollIntervalMs: cfg.pollIntervalMs,
    }),
};
