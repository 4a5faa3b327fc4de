/**
 * Every thermometer protocol the edge speaks, by the name `thermometer.protocol` uses in the
 * config: its config section (only the keys it has) and how its driver is built. The config
 * schema's union is made from this table (edge/config/schema.ts adds only `none`: no thermometer,
 * the terminal's own temperature is used), so a new protocol is its codec in protocols/, its
 * driver (a SerialThermometerDriver, serial-driver.ts), one entry here, and its simulator
 * (docs/ARCHITECTURE.md, worked example). An unknown name is a config error naming the key, never
 * a silent fallback: the daemon used to give any protocol that was not `modbus-ir` the UART driver.
 */
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { ByteTransport } from '../transport/types.ts';
import { serialThermometer } from './config.ts';
import { GyMlx90615Driver } from './gy-mlx90615-driver.ts';
import { ModbusIrDriver } from './modbus-ir-driver.ts';
import type { ThermometerDriver } from './types.ts';

/** What every driver gets besides its own protocol's config section. */
export interface ThermometerContext {
  transport: ByteTransport;
  clock: Clock;
  log: Logger;
}

/** A protocol's section must name the protocol and carry what the daemon opens the port with. */
type SectionSchema = z.ZodType<{ protocol: string } & z.output<z.ZodObject<typeof serialThermometer>>>;

/** One entry: the section's schema, and the driver built from a parsed section of it. */
function entry<S extends SectionSchema>(
  config: S,
  create: (cfg: z.output<S>, c: ThermometerContext) => ThermometerDriver,
) {
  return { config, create };
}

export const THERMOMETER_DRIVERS = {
  'modbus-ir': entry(
    z.strictObject({
      protocol: z.literal('modbus-ir'),
      ...serialThermometer,
      slave: z.number().int().min(1).max(247).default(1),
    }),
    (cfg, { transport, clock, log }) =>
      new ModbusIrDriver({
        transport,
        clock,
        log,
        slave: cfg.slave,
        baudRate: cfg.baudRate,
        pollIntervalMs: cfg.pollIntervalMs,
      }),
  ),
  'gy-mlx90615': entry(
    z.strictObject({
      protocol: z.literal('gy-mlx90615'),
      ...serialThermometer,
      /** Ask for each reading, or let the module stream every 100 ms. */
      mode: z.enum(['query', 'continuous']).default('continuous'),
    }),
    (cfg, { transport, clock, log }) =>
      new GyMlx90615Driver({
        transport,
        clock,
        log,
        mode: cfg.mode,
        baudRate: cfg.baudRate,
        pollIntervalMs: cfg.pollIntervalMs,
      }),
  ),
};

type Table = typeof THERMOMETER_DRIVERS;
export type ThermometerProtocol = keyof Table;
/** A parsed section of any protocol in the table. */
export type SerialThermometerConfig = {
  [P in ThermometerProtocol]: z.output<Table[P]['config']>;
}[ThermometerProtocol];

/**
 * A compile error when an entry's key is not the protocol its section names (`'acme-ir':
 * entry(z.strictObject({ protocol: z.literal('acme-irr'), …`): the key is what the daemon looks up.
 */
type KeysNameTheirProtocol<T extends { [P in keyof T]: { config: z.ZodType<{ protocol: P }> } }> = T;
export type CheckedTable = KeysNameTheirProtocol<Table>;

/** The sections of the table, for the config schema's discriminated union. */
export const THERMOMETER_SECTIONS = Object.values(THERMOMETER_DRIVERS).map((d) => d.config) as Array<
  Table[ThermometerProtocol]['config']
>;

/** The driver of the configured protocol (a section picks its own table entry). */
export function buildThermometerDriver(
  cfg: SerialThermometerConfig,
  c: ThermometerContext,
): ThermometerDriver {
  const make = THERMOMETER_DRIVERS[cfg.protocol].create as (
    cfg: SerialThermometerConfig,
    c: ThermometerContext,
  ) => ThermometerDriver;
  return make(cfg, c);
}
