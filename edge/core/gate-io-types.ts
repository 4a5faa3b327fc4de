/** What the gate needs from the turnstile I/O and the bus (implemented by gpio/gate-io.ts and mqtt/link.ts). */
import type { PersonSyncStatus } from '../../protocols/gate/messages.ts';
export type GateState = 'locked' | 'released' | 'lockdown' | 'fire';

export interface GateActuator {
  release(openMs: number): void;
  signal(kind: 'pass' | 'deny' | 'flag'): void;
  setLockdown(on: boolean): void;
  readonly state: GateState;
  readonly fireAlarm: boolean;
}

export interface Publisher {
  publish(topic: string, payload: string, opts?: { qos?: 0 | 1; retain?: boolean }): void;
}

/**
 * Where the gate's answers to one terminal go: MQTT topics for the §3 terminal (the default), the
 * terminal's HTTP API for the §5 one (edge/terminal/). Called synchronously from the decision;
 * an implementation that does I/O queues it and never throws.
 */
export interface TerminalReply {
  /** For a realtime event with remoteCheck: the person is waiting for it. */
  verdict(v: {
    serialNo: number;
    checkResult: 'success' | 'failed';
    open: boolean;
    display: string;
    lang: string;
  }): void;
  /** For every other event, and for a duplicate. */
  ack(serialNo: number): void;
}

/** The terminal as its driver sees it, for the gate's status (fleet view). */
export interface TerminalStatusInfo {
  protocol: string;
  online: boolean | null;
  model: string | null;
  serialNumber: string | null;
  firmwareVersion: string | null;
  /** ISAPI person sync (absent when the driver does not manage the terminal's persons). */
  personSync?: PersonSyncStatus;
}
