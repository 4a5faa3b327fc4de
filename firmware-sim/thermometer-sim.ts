/**
 * One simulated thermometer, ready to run: the device (Modbus slave or GY module) on its transport
 * (serial or TCP), behind one protocol-neutral face that the CLI and the scenario runner drive:
 * "this person is measured", "the person left", "inject this fault".
 */
import { type CommandName, hundredthsToTenths } from '../protocols/gy-mlx90615/index.ts';
import type { Endpoint } from './endpoint.ts';
import { SimError, SimErrorCode } from './errors.ts';
import { GyModule } from './gy-mlx90615/module.ts';
import { childLogger, type Logger } from './log.ts';
import { ModbusSlaveEndpoint } from './modbus-ir/slave-endpoint.ts';
import { ModbusIrThermometer, type RangeFault } from './modbus-ir/thermometer.ts';
import type { Random } from './rng.ts';
import { sleep } from './time.ts';
import { type DeviceLink, SerialLink } from './transport/serial-link.ts';
import type { StreamDevice } from './transport/stream-device.ts';
import { TcpDeviceServer } from './transport/tcp-server.ts';

export type ThermometerProtocol = 'modbus-ir' | 'gy-mlx90615';

export interface ThermometerSimOptions {
  protocol: ThermometerProtocol;
  endpoint: Endpoint;
  /** Modbus slave address (default 1). */
  slave?: number;
  /** Serial baud rate (default 9600); a pty ignores it. */
  baudRate?: number;
  /** Time a measurement takes once a person is in front, ms (default 300). */
  settleMs?: number;
  ambientTenths?: number;
  /**
   * GY module only: how much colder skin reads than the body, tenths °C (default 0). The module
   * reports skin temperature; the edge adds the gate's offset back.
   */
  skinOffsetTenths?: number;
  /** Modbus only: initial compensation offset register, tenths °C. */
  offsetTenths?: number;
  /** GY continuous period (default 100 ms). */
  periodMs?: number;
  random?: Random;
  onExchange?: (request: Uint8Array, answer: Uint8Array | undefined) => void;
  /** GY only: each command the module recognised. */
  onCommand?: (name: CommandName) => void;
  logger?: Logger;
}

/** What a measurement of one person produced, for the scenario report. */
export interface SimMeasurement {
  /** false when a fault stopped the measurement from completing. */
  completed: boolean;
  /** The temperature a master reads right after the measurement, tenths °C. */
  reportedTenths: number;
  /** Modbus: the sequence register after the measurement. */
  sequence?: number;
  /** Modbus: the status register after the measurement. */
  statusBits?: number;
  at: number;
}

export type ThermometerFault =
  | { kind: 'sensor-fault' }
  | { kind: 'out-of-range'; range: RangeFault }
  | { kind: 'crc'; count?: number; rate?: number }
  | { kind: 'silent' }
  | { kind: 'delay'; delayMs: number }
  | { kind: 'garbage'; bytes?: number; rate?: number }
  | { kind: 'unplugged' };

export class ThermometerSim {
  readonly protocol: ThermometerProtocol;
  readonly device: StreamDevice;
  readonly link: DeviceLink;
  /** Set for protocol modbus-ir. */
  readonly modbus: ModbusIrThermometer | undefined;
  /** Set for protocol gy-mlx90615. */
  readonly gy: GyModule | undefined;
  private readonly settleMs: number;
  private readonly ambientTenths: number;
  private readonly skinOffsetTenths: number;
  private readonly log: Logger;

  constructor(opts: ThermometerSimOptions) {
    this.protocol = opts.protocol;
    this.settleMs = opts.settleMs ?? 300;
    this.ambientTenths = opts.ambientTenths ?? 251;
    this.skinOffsetTenths = opts.skinOffsetTenths ?? 0;
    this.log = opts.logger ?? childLogger('thermometer', { protocol: opts.protocol });
    const onTcp = opts.endpoint.kind === 'tcp';
    if (opts.protocol === 'modbus-ir') {
      this.modbus = new ModbusIrThermometer({
        slave: opts.slave,
        settleMs: this.settleMs,
        ambientTenths: this.ambientTenths,
        offsetTenths: opts.offsetTenths,
        random: opts.random,
        logger: this.log,
      });
      this.gy = undefined;
      // TCP carries no silence; drop a partial frame only after a pause no master would make.
      this.device = new ModbusSlaveEndpoint(this.modbus, {
        baudRate: opts.baudRate,
        silenceMs: onTcp ? 50 : undefined,
        onExchange: opts.onExchange,
        logger: this.log,
      });
    } else if (opts.protocol === 'gy-mlx90615') {
      this.modbus = undefined;
      this.gy = new GyModule({
        objectHundredths: this.ambientTenths * 10,
        ambientHundredths: this.ambientTenths * 10,
        periodMs: opts.periodMs,
        random: opts.random,
        onCommand: opts.onCommand,
        logger: this.log,
      });
      this.device = this.gy;
    } else
      throw new SimError(SimErrorCode.BAD_OPTION, `unknown thermometer protocol ${String(opts.protocol)}`);
    const ep = opts.endpoint;
    this.link =
      ep.kind === 'serial'
        ? new SerialLink(this.device, { path: ep.path, baudRate: opts.baudRate, logger: this.log })
        : new TcpDeviceServer(this.device, { host: ep.host, port: ep.port, logger: this.log });
  }

  start(): Promise<void> {
    return this.link.start();
  }

  async stop(): Promise<void> {
    await this.link.stop();
    this.device.dispose();
  }

  /** Serial: resolves once the tty is open (TG_SIM_TIMEOUT otherwise). TCP: once listening. */
  async waitOpen(timeoutMs = 5000): Promise<void> {
    if (this.link instanceof SerialLink) return this.link.waitOpen(timeoutMs);
    if (!this.link.isUp)
      throw new SimError(SimErrorCode.NOT_STARTED, `${this.link.description} is not listening`);
  }

  /** The TCP address actually bound (useful after port 0); undefined on a serial link. */
  tcpAddress(): { host: string; port: number } | undefined {
    return this.link instanceof TcpDeviceServer ? this.link.address() : undefined;
  }

  /** A person with this true body temperature steps up; resolves when the measurement is done. */
  async measure(bodyTenths: number, settleMs = this.settleMs): Promise<SimMeasurement> {
    if (this.modbus) {
      const r = await this.modbus.presentTarget({ bodyTenths, settleMs });
      return {
        completed: r.completed,
        reportedTenths: r.reportedTenths,
        sequence: r.sequence,
        statusBits: r.statusBits,
        at: Date.now(),
      };
    }
    const gy = this.gy as GyModule;
    // The module has no target detection: the reading simply becomes the person's skin.
    await sleep(settleMs);
    const silent = gy.faultState().silent;
    gy.setObject((bodyTenths - this.skinOffsetTenths) * 10);
    return {
      completed: !silent,
      reportedTenths: hundredthsToTenths(gy.reading.objectHundredths),
      at: Date.now(),
    };
  }

  /** The person walked on. */
  leave(): void {
    if (this.modbus) this.modbus.removeTarget();
    else this.gy?.setObject(this.ambientTenths * 10);
  }

  /** Turns a fault on (`on` true) or back off. Faults a protocol has no notion of are ignored with a log line. */
  async setFault(fault: ThermometerFault, on: boolean): Promise<void> {
    const m = this.modbus;
    const g = this.gy;
    switch (fault.kind) {
      case 'unplugged':
        if (on) await this.link.unplug();
        else await this.link.replug();
        return;
      case 'silent':
        m?.setSilent(on);
        g?.setSilent(on);
        return;
      case 'crc':
        if (fault.count !== undefined && on) {
          m?.corruptNextAnswers(fault.count);
          g?.badSumNext(fault.count);
        }
        if (fault.rate !== undefined || !on) {
          const rate = on ? (fault.rate ?? 0) : 0;
          m?.setCorruptRate(rate);
          g?.setBadSumRate(rate);
          if (!on) {
            m?.corruptNextAnswers(0);
            g?.badSumNext(0);
          }
        }
        return;
      case 'delay':
        if (m) m.setAnswerDelay(on ? fault.delayMs : 0);
        else this.log.warn('delay fault ignored: the GY module is not polled');
        return;
      case 'sensor-fault':
        if (m) m.setSensorFault(on);
        else this.log.warn('sensor-fault ignored: the GY module has no status bits');
        return;
      case 'out-of-range':
        if (m) m.setRangeFault(on ? fault.range : undefined);
        else if (on) g?.setObject(fault.range === 'below' ? 2000 : 4800);
        return;
      case 'garbage':
        if (g) {
          if (on && fault.bytes) g.injectGarbage(fault.bytes);
          g.setGarbageRate(on ? (fault.rate ?? 0) : 0);
        } else this.log.warn('garbage fault ignored on modbus-ir');
        return;
    }
  }
}
