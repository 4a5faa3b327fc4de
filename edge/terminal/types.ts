/**
 * One interface for every kind of face terminal the edge speaks to. The gate (edge/core/gate.ts)
 * pairs, decides, holds, dedupes and records the same for all; a driver only carries events in
 * (as `FaceEvent`s) and the gate's answers out. Drivers are looked up in one table (drivers.ts):
 * a third vendor is one new entry there.
 */
import type { FaceEvent } from '../../protocols/face-mqtt/index.ts';
import type { Counters } from '../../protocols/gate/messages.ts';
import type { Clock } from '../clock.ts';
import type { EdgeConfig } from '../config/schema.ts';
import type { DetailedAccessList } from '../core/access-list.ts';
import type { HandledEvent, Publisher, TerminalReply, TerminalStatusInfo } from '../core/gate.ts';
import type { Logger } from '../log.ts';

export interface TerminalContext {
  cfg: EdgeConfig;
  clock: Clock;
  log: Logger;
  /** The site's MQTT link: the terminal's status topic, for drivers that speak for their terminal. */
  bus: Publisher;
  /**
   * The gate's copy of HR's access list with whole entries (names, kinds): given only when a
   * driver keeps the terminal's person list in line with it (edge/daemon.ts).
   */
  accessList?: DetailedAccessList;
}

/** What a driver hands events to: the Gate. */
export interface TerminalEventSink {
  onTerminalEvent(ev: FaceEvent, receivedAt?: number): Promise<HandledEvent>;
  readonly counters: Counters;
  publishStatus(online: boolean): void;
}

export interface TerminalDriver {
  readonly protocol: string;
  /** Where the gate's verdicts and acks go. */
  readonly reply: TerminalReply;
  /** The terminal's events arrive on the site broker's `face/{deviceId}/event` (the §3 terminal). */
  readonly eventsOverMqtt: boolean;
  /** For the gate's status: null when the driver knows nothing beyond the broker's status topic. */
  status(): TerminalStatusInfo | null;
  start(sink: TerminalEventSink): Promise<void>;
  stop(): Promise<void>;
}

export type TerminalDriverFactory = (ctx: TerminalContext) => TerminalDriver;
