/**
 * Every thermometer protocol the edge speaks, by the name `thermometer.protocol` uses in the
 * config (`none`: no thermometer, the terminal's own temperature is used). A new protocol: its
 * codec in protocols/, a driver implementing ThermometerDriver (types.ts), one entry here, and its
 * simulator. An unknown name is a config error (the schema's enum), never a silent fallback: the
 * daemon used to give any protocol that was not `modbus-ir` the UART driver.
 */
import type { Clock } from '../clock.ts';
import type { ThermometerConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { ByteTransport } from '../transport/types.ts';
import { GyMlx90615Driver } from './gy-mlx90615-driver.ts';
import { ModbusIrDriver } from './modbus-ir-driver.ts';
import type { ThermometerDriver } from './types.ts';

type Config = Exclude<ThermometerConfig, { protocol: 'none' }>;
type Protocol = Config['protocol'];

/** What every driver gets besides its own protocol's config section. */
export interface ThermometerContext {
  transport: ByteTransport;
  clock: Clock;
  log: Logger;
}

/**
 * Each entry gets its own protocol's section of the config (the union in edge/config/schema.ts),
 * so a driver reads only keys its protocol has; the mapped type makes a protocol without an entry,
 * or an entry without a protocol, a compile error.
 */
export const THERMOMETER_DRIVERS: {
  [P in Protocol]: (cfg: Extract<Config, { protocol: P }>, c: ThermometerContext) => ThermometerDriver;
} = {
  'modbus-ir': (cfg, { transport, clock, log }) =>
    new ModbusIrDriver({
      transport,
      clock,
      log,
      slave: cfg.slave,
      baudRate: cfg.baudRate,
      pollIntervalMs: cfg.pollIntervalMs,
    }),
  'gy-mlx90615': (cfg, { transport, clock, log }) =>
    new GyMlx90615Driver({
      transport,
      clock,
      log,
      mode: cfg.mode,
      baudRate: cfg.baudRate,
      pollIntervalMs: cfg.pollIntervalMs,
    }),
};

/** The driver of the configured protocol (a union member picks its own table entry). */
export function buildThermometerDriver(cfg: Config, c: ThermometerContext): ThermometerDriver {
  const make = THERMOMETER_DRIVERS[cfg.protocol] as (cfg: Config, c: ThermometerContext) => ThermometerDriver;
  return make(cfg, c);
}
