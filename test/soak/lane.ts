/**
 * One gate lane of the simulated site: the thermometer (Modbus RTU on a pty or a TCP device
 * server, with line noise), the face terminal and the turnstile's I/O peer, and people passing
 * one at a time. Every passage is recorded with its ground truth (who, true temperature, what the
 * thermometer reported, whether the turnstile opened) for the checks after the run.
 */
import { FaceTerminal } from '../../firmware-sim/face/terminal.ts';
import { GpioPeer } from '../../firmware-sim/gpio/peer.ts';
import { ModbusSlaveEndpoint } from '../../firmware-sim/modbus-ir/slave-endpoint.ts';
import { ModbusIrThermometer } from '../../firmware-sim/modbus-ir/thermometer.ts';
import { type DeviceLink, SerialLink } from '../../firmware-sim/transport/serial-link.ts';
import { TcpDeviceServer } from '../../firmware-sim/transport/tcp-server.ts';
import { NoisyDevice } from './noisy-device.ts';
import { between, type Rng, sleep } from './rng.ts';

export interface Person {
  employeeNo: string;
  name: string;
  /** The terminal's face library knows them. */
  recognised: boolean;
  /** On HR's access list. */
  onList: boolean;
}

export interface Passage {
  gateId: string;
  terminalId: string;
  serialNo: number;
  realtime: boolean;
  person: Person;
  mask: 'yes' | 'no';
  /** True body temperature, tenths °C. */
  trueTenths: number;
  /** What the gate thermometer reported for this person (stuck or drifting when faulted); null on terminal lanes. */
  reportedTenths: number | null;
  startedAt: number;
  endedAt: number;
  verdictOpen: boolean;
  timedOut: boolean;
  /** Faults active at this gate while the person was there. */
  faults: string[];
  /** Part of a burst (disk-full fault): several people at once, GPIO pulses not attributable. */
  burst: boolean;
}

export interface LaneOptions {
  gateId: string;
  terminalId: string;
  terminalPassword: string;
  brokerUrl: string;
  gpioPort: number;
  /** Gate thermometer: serial path (a pty end) or a TCP device-server port; none = terminal measures. */
  thermometer: { kind: 'serial'; path: string } | { kind: 'tcp'; port: number } | { kind: 'none' };
  people: readonly Person[];
  rng: Rng;
  feverRate: number;
}

export class Lane {
  readonly passages: Passage[] = [];
  readonly terminal: FaceTerminal;
  readonly gpio: GpioPeer;
  readonly thermometer: ModbusIrThermometer | undefined;
  readonly noise: NoisyDevice | undefined;
  readonly link: DeviceLink | undefined;
  /** Labels of the faults active on this lane now (for classifying passages). */
  readonly active = new Set<string>();
  /** Stuck sensor: reports this for everybody. */
  stuckAt: number | undefined;
  /** Drifting sensor: added to every true temperature. */
  driftTenths = 0;
  /** The next this-many people have a fever (a fault that needs fevers at a given moment). */
  feversDue = 0;
  private running = false;
  private paused = false;
  private loop: Promise<void> | undefined;

  constructor(readonly o: LaneOptions) {
    const t = o.thermometer;
    if (t.kind !== 'none') {
      this.thermometer = new ModbusIrThermometer({ slave: 1, settleMs: 80 });
      const endpoint = new ModbusSlaveEndpoint(this.thermometer, {
        silenceMs: t.kind === 'tcp' ? 50 : undefined,
      });
      this.noise = new NoisyDevice(endpoint, o.rng);
      this.link =
        t.kind === 'serial'
          ? new SerialLink(this.noise, { path: t.path, reopenMs: 200 })
          : new TcpDeviceServer(this.noise, { host: '127.0.0.1', port: t.port });
    }
    this.terminal = new FaceTerminal({
      brokerUrl: o.brokerUrl,
      deviceId: o.terminalId,
      username: o.terminalId,
      password: o.terminalPassword,
      reconnectPeriodMs: 300,
      resendMs: 2000,
      ...(t.kind === 'none' ? { thermometer: { unit: 'celsius' as const } } : {}),
    });
    this.gpio = new GpioPeer({ port: o.gpioPort, reconnectMs: 200 });
  }

  get gateId(): string {
    return this.o.gateId;
  }

  async start(): Promise<void> {
    await this.link?.start();
    await this.gpio.start();
    await this.terminal.start();
  }

  /** People keep arriving until stop(). */
  run(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        if (this.paused) {
          await sleep(100);
          continue;
        }
        await this.passOne().catch(() => {});
        await sleep(between(this.o.rng, 150, 600));
      }
    })();
  }

  /** Holds the regular flow (a burst of people takes the lane). */
  pause(on: boolean): void {
    this.paused = on;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.terminal.stop();
    await this.gpio.stop();
    await this.link?.stop();
    this.thermometer?.removeTarget();
  }

  /** Waits until `n` more people have passed this lane (or the timeout). */
  async waitPassages(n: number, timeoutMs: number): Promise<void> {
    const target = this.passages.length + n;
    const until = Date.now() + timeoutMs;
    while (this.passages.length < target && Date.now() < until) await sleep(100);
  }

  private choose(): { person: Person; mask: 'yes' | 'no'; trueTenths: number } {
    const rng = this.o.rng;
    const person = this.o.people[Math.floor(rng() * this.o.people.length)] as Person;
    const mask = rng() < 0.05 ? 'no' : 'yes';
    let trueTenths = rng() < this.o.feverRate ? between(rng, 374, 395) : between(rng, 360, 370);
    if (this.feversDue > 0 && trueTenths < 374) {
      this.feversDue--;
      trueTenths += 20;
    }
    return { person, mask, trueTenths };
  }

  /** One person at the gate: measured, seen by the terminal, through the turnstile if it opens. */
  async passOne(burst = false, chosen = this.choose()): Promise<Passage> {
    const { person, mask, trueTenths } = chosen;
    const startedAt = Date.now();
    const faults = [...this.active];
    let reportedTenths: number | null = null;
    if (this.thermometer) {
      reportedTenths = this.stuckAt ?? trueTenths + this.driftTenths;
      await this.thermometer.presentTarget({ bodyTenths: reportedTenths });
      await sleep(120);
    }
    const result = await this.terminal.present({
      employeeNo: person.recognised ? person.employeeNo : '',
      name: person.recognised ? person.name : '',
      recognised: person.recognised,
      mask,
      ...(this.thermometer ? {} : { temperatureTenths: trueTenths }),
    });
    if (result.opened) await this.gpio.passage();
    this.thermometer?.removeTarget();
    const passage: Passage = {
      gateId: this.o.gateId,
      terminalId: this.o.terminalId,
      serialNo: result.serialNo,
      realtime: result.realtime,
      person,
      mask,
      trueTenths,
      reportedTenths,
      startedAt,
      endedAt: Date.now(),
      verdictOpen: result.opened,
      timedOut: result.timedOut,
      faults: [...new Set([...faults, ...this.active])],
      burst,
    };
    this.passages.push(passage);
    return passage;
  }

  /** `n` healthy people at once (terminal lanes): the outbox fills faster than any queue would. */
  async burst(n: number, spacingMs: number): Promise<void> {
    const all: Promise<Passage>[] = [];
    const ok = this.o.people.filter((p) => p.recognised && p.onList);
    for (let i = 0; i < n; i++) {
      const person = ok[i % ok.length] as Person;
      all.push(this.passOne(true, { person, mask: 'yes', trueTenths: 365 }));
      await sleep(spacingMs);
    }
    await Promise.all(all);
  }
}
