/**
 * A lane's face terminal, whichever protocol it speaks: the §3 MQTT terminal (`FaceTerminal`) or
 * the §5 ISAPI terminal (`IsapiTerminal`, its own web server pushing to the gate's listener).
 * The runner sees one shape: present a person, get the verdict (or the deny-by-default timeout).
 */
import { parseTcpAddress } from '../endpoint.ts';
import type { BuiltInThermometer, FacePerson } from '../face/event-builder.ts';
import { FaceTerminal, type PresentResult } from '../face/terminal.ts';
import { IsapiTerminal } from '../isapi/terminal.ts';
import type { Logger } from '../log.ts';
import type { TerminalSpec } from './schema.ts';

/** What the runner reads of a presentation. */
export type LanePresentResult = Pick<
  PresentResult,
  'serialNo' | 'verdict' | 'opened' | 'timedOut' | 'realtime'
> & { event: { remoteCheck: boolean } };

export interface LaneTerminal {
  readonly deviceId: string;
  /** Where it is reached, for the console (broker URL or its web address). */
  readonly description: string;
  /** ISAPI: its web server, http://host:port (once started); MQTT: undefined. */
  readonly address: string | undefined;
  start(): Promise<void>;
  waitOnline(timeoutMs: number): Promise<void>;
  /** Loses its network (events are kept and re-sent later). */
  crash(): Promise<void>;
  /** Back after crash(). */
  recover(): Promise<void>;
  stop(): Promise<void>;
  present(person: FacePerson): Promise<LanePresentResult>;
  /** serialNos of events it could not deliver yet (kept for re-sending). */
  pendingOfflineRecords(): number[];
}

export interface LaneTerminalOptions {
  brokerUrl: string;
  brokerUsername?: string;
  brokerPassword?: string;
  utcOffset: string;
  logger: Logger;
}

export function createLaneTerminal(t: TerminalSpec, o: LaneTerminalOptions): LaneTerminal {
  return t.protocol === 'hik-isapi' ? new IsapiLaneTerminal(t, o) : new MqttLaneTerminal(t, o);
}

class MqttLaneTerminal implements LaneTerminal {
  readonly deviceId: string;
  readonly description: string;
  readonly address = undefined;
  private readonly t: FaceTerminal;

  constructor(spec: TerminalSpec, o: LaneTerminalOptions) {
    this.deviceId = spec.deviceId;
    this.description = o.brokerUrl;
    this.t = new FaceTerminal({
      brokerUrl: o.brokerUrl,
      deviceId: spec.deviceId,
      // A terminal's own credentials win over the site-wide broker login.
      username: spec.username ?? o.brokerUsername,
      password: spec.password ?? o.brokerPassword,
      utcOffset: o.utcOffset,
      remoteCheck: spec.remoteCheck,
      remoteCheckTimeoutMs: spec.remoteCheckTimeoutMs,
      thermometer: spec.thermometer as BuiltInThermometer | undefined,
      protocolVersion: spec.protocolVersion,
      logger: o.logger,
    });
  }

  start = () => this.t.start();
  waitOnline = (ms: number) => this.t.waitOnline(ms);
  crash = () => this.t.crash();
  recover = () => this.t.start();
  stop = () => this.t.stop();
  present = (p: FacePerson) => this.t.present(p);
  pendingOfflineRecords = () => this.t.pendingOfflineRecords().map((e) => e.serialNo);
}

class IsapiLaneTerminal implements LaneTerminal {
  readonly deviceId: string;
  private readonly t: IsapiTerminal;

  constructor(
    private readonly spec: TerminalSpec,
    o: LaneTerminalOptions,
  ) {
    this.deviceId = spec.deviceId;
    const at = spec.listen ? parseTcpAddress(spec.listen) : { host: '127.0.0.1', port: 0 };
    this.t = new IsapiTerminal({
      deviceId: spec.deviceId,
      host: at.host,
      port: at.port,
      username: spec.username ?? 'admin',
      password: spec.password ?? '',
      pushUrl: spec.pushUrl,
      remoteCheck: spec.remoteCheck,
      remoteCheckTimeoutMs: spec.remoteCheckTimeoutMs,
      thermometer: spec.thermometer as BuiltInThermometer | undefined,
      utcOffset: o.utcOffset,
      logger: o.logger,
    });
  }

  get address(): string {
    return this.t.address;
  }

  get description(): string {
    return `${this.t.address} (ISAPI), pushing to ${this.spec.pushUrl ?? 'nobody (alert stream)'}`;
  }

  start = () => this.t.start();
  /** Its web server is up once started; the gate finds it by its health check. */
  waitOnline = async (_ms: number) => {};
  crash = () => this.t.goOffline();
  recover = () => this.t.goOnline();
  stop = () => this.t.stop();
  pendingOfflineRecords = () => this.t.pendingEvents();

  async present(p: FacePerson): Promise<LanePresentResult> {
    const r = await this.t.present(p);
    const v = r.verdict;
    return {
      serialNo: r.serialNo,
      realtime: r.realtime,
      opened: r.opened,
      timedOut: r.timedOut,
      event: { remoteCheck: this.remoteCheck(r.json) },
      verdict: v
        ? {
            serialNo: v.serialNo,
            checkResult: v.checkResult,
            open: v.checkResult === 'success',
            display: v.info ?? '',
            lang: 'zh-CN',
          }
        : undefined,
    };
  }

  private remoteCheck(json: string): boolean {
    const o = JSON.parse(json) as { AccessControllerEvent?: { remoteCheck?: boolean } };
    return o.AccessControllerEvent?.remoteCheck ?? this.spec.remoteCheck;
  }
}
