/** What the gate needs from the turnstile I/O and the bus (implemented by gpio/gate-io.ts and mqtt/link.ts). */
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
