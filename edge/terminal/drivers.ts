/**
 * Every terminal protocol the edge speaks, by the name `terminal.protocol` uses in the config.
 * A new vendor: a driver implementing TerminalDriver (types.ts), one entry here, and its branch of
 * the config union (edge/config/schema.ts).
 */
import type { TerminalConfig } from '../config/schema.ts';
import { faceMqttDriver } from './face-mqtt.ts';
import { hikIsapiDriver } from './hik-isapi/driver.ts';
import type { TerminalContext, TerminalDriver, TerminalDriverFactory } from './types.ts';

export const TERMINAL_DRIVERS: Record<TerminalConfig['protocol'], TerminalDriverFactory> = {
  'face-mqtt': faceMqttDriver,
  'hik-isapi': hikIsapiDriver,
};

export function createTerminalDriver(ctx: TerminalContext): TerminalDriver {
  return TERMINAL_DRIVERS[ctx.cfg.terminal.protocol](ctx);
}
