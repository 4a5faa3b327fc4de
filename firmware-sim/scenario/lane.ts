/**
 * One gate lane's devices, built from its spec: the thermometer on its transport, the face
 * terminal (on the broker, or over ISAPI), and (optionally) the GPIO peer of the edge's gate I/O. The devices stay
 * independent peers on their wires; the lane only starts, stops and fault-injects them together.
 */
import { parseEndpoint, parseTcpAddress } from '../endpoint.ts';
import { SimError, SimErrorCode } from '../errors.ts';
import { GpioPeer } from '../gpio/peer.ts';
import { childLogger, type Logger } from '../log.ts';
import { ThermometerSim } from '../thermometer-sim.ts';
import { createLaneTerminal, type LaneTerminal } from './lane-terminal.ts';
import type { FaultSpec, LaneSpec } from './schema.ts';

export interface BrokerSettings {
  url: string;
  username?: string;
  password?: string;
}

export interface LaneBuildOptions {
  broker: BrokerSettings;
  utcOffset: string;
  logger?: Logger;
}

export class Lane {
  readonly id: string;
  readonly thermometer: ThermometerSim;
  /** MQTT (§3) or ISAPI (§5), as the lane's terminal.protocol says. */
  readonly terminal: LaneTerminal;
  readonly gpio: GpioPeer | undefined;
  private readonly active = new Set<FaultSpec['kind']>();
  private readonly log: Logger;

  constructor(
    readonly spec: LaneSpec,
    opts: LaneBuildOptions,
  ) {
    this.id = spec.id;
    this.log = opts.logger?.child({ lane: spec.id }) ?? childLogger('lane', { lane: spec.id });
    const t = spec.thermometer;
    this.thermometer = new ThermometerSim({
      protocol: t.protocol,
      endpoint: parseEndpoint(t.endpoint),
      slave: t.slave,
      baudRate: t.baudRate,
      settleMs: t.settleMs,
      ambientTenths: t.ambientTenths,
      skinOffsetTenths: t.skinOffsetTenths,
      offsetTenths: t.offsetTenths,
      logger: this.log.child({ device: 'thermometer' }),
    });
    this.terminal = createLaneTerminal(spec.terminal, {
      brokerUrl: opts.broker.url,
      brokerUsername: opts.broker.username,
      brokerPassword: opts.broker.password,
      utcOffset: opts.utcOffset,
      logger: this.log.child({ device: 'terminal', deviceId: spec.terminal.deviceId }),
    });
    this.gpio = spec.gpio
      ? new GpioPeer({ ...parseTcpAddress(spec.gpio), logger: this.log.child({ device: 'gpio' }) })
      : undefined;
  }

  async start(): Promise<void> {
    await this.thermometer.start();
    await this.terminal.start();
    await this.gpio?.start();
  }

  /** Waits until the terminal is online and the GPIO peer has its snapshot (not the thermometer: its master connects to it). */
  async waitReady(timeoutMs: number): Promise<void> {
    await this.terminal.waitOnline(timeoutMs);
    await this.gpio?.waitConnected(timeoutMs);
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.terminal.stop(), this.gpio?.stop(), this.thermometer.stop()]);
  }

  activeFaults(): FaultSpec['kind'][] {
    return [...this.active];
  }

  /** Applies (on) or lifts (off) one scheduled fault. */
  async setFault(f: FaultSpec, on: boolean): Promise<void> {
    if (on) this.active.add(f.kind);
    else this.active.delete(f.kind);
    switch (f.kind) {
      case 'terminal-offline':
        if (on) await this.terminal.crash();
        else await this.terminal.recover();
        return;
      case 'fire-alarm':
        if (!this.gpio)
          throw new SimError(SimErrorCode.BAD_OPTION, `lane ${this.id}: fire-alarm fault needs a gpio peer`);
        this.gpio.setFireAlarm(on);
        return;
      case 'out-of-range':
        return this.thermometer.setFault({ kind: 'out-of-range', range: f.range }, on);
      case 'crc':
        return this.thermometer.setFault({ kind: 'crc', count: f.count, rate: f.rate }, on);
      case 'delay':
        return this.thermometer.setFault({ kind: 'delay', delayMs: f.delayMs }, on);
      case 'garbage':
        return this.thermometer.setFault({ kind: 'garbage', bytes: f.bytes, rate: f.rate }, on);
      default:
        return this.thermometer.setFault({ kind: f.kind }, on);
    }
  }
}
