/**
 * The keys every thermometer section of a gate's config has, whatever its protocol. Each protocol's
 * own section is written beside its driver in the table (drivers.ts) from these pieces; the config
 * schema (edge/config/schema.ts) builds its union from that table, so a new protocol is not a
 * second edit there.
 */
import { z } from 'zod';

export const thermometerCommon = {
  /** Added by the edge to the device value (skin → body for the UART module). */
  offsetTenths: z.number().int().min(-100).max(100).default(0),
  /**
   * This many people in a row measured at exactly the same value mean a stuck sensor: they are
   * asked to re-measure and a sensor-fault alert is raised (0 = off).
   */
  stuckAfter: z.number().int().min(0).max(100).default(5),
};

/** What every thermometer on a serial line has (the daemon opens `port` with these). */
export const serialThermometer = {
  ...thermometerCommon,
  /** A tty path (/dev/ttyUSB0) or a serial device server `tcp://host:port`. */
  port: z.string({ error: 'a port is required: a tty path or tcp://host:port' }).min(1),
  baudRate: z.union([4800, 9600, 19200, 38400, 57600, 115200].map((b) => z.literal(b))).default(9600),
  pollIntervalMs: z.number().int().min(20).max(10_000).default(200),
  /** Exclusive lock on a tty; turn off only for ptys shared in tests. */
  lock: z.boolean().default(true),
};
