/**
 * What the pages read from the server's JSON (dashboard/README.md's API table). Wire types come
 * from protocols/ (type-only imports: nothing of zod ends up in the bundle).
 */
export type { AlertState, Disposition } from '../../../protocols/dashboard/messages.ts';
export type { DecisionMessage, PersonSyncStatus, ReadingRecord } from '../../../protocols/gate/messages.ts';

import type { PersonSyncStatus } from '../../../protocols/gate/messages.ts';

export interface LastPassage {
  at: number;
  employeeNo: string;
  name: string | null;
  temperatureTenths: number | null;
  decision: string;
  reason?: string;
}

/** A gate's face terminal as the gate reports it (GateStatus.terminal). */
export interface TerminalInfo {
  protocol: string;
  online: boolean | null;
  model: string | null;
  serialNumber: string | null;
  firmwareVersion: string | null;
  /** The gate keeping the terminal's person list in line with HR's (ISAPI; absent: not managed). */
  personSync?: PersonSyncStatus;
}

export interface GateTile {
  gateId: string;
  online: boolean;
  offlineReason: 'last-will' | 'stopped' | 'heartbeat-timeout' | 'not-connected' | 'never-seen' | null;
  thermometer: 'online' | 'offline' | 'fault' | 'none';
  gateState: 'locked' | 'released' | 'lockdown' | 'fire';
  softwareVersion: string;
  configVersion: string;
  accessListVersion: number | null;
  lastSeenAt: number | null;
  /** The gate's face terminal (null: none known), its state as the hub sees it. */
  terminalId: string | null;
  terminalOnline: boolean | null;
  /** Site rules this gate's own config overrides; the policy version it decides with. */
  policyOverrides: string[];
  policyVersion: number | null;
  terminalClockOffsetMs: number | null;
  /** What the gate's terminal driver reports (ISAPI: deviceInfo); null when nothing is known. */
  terminal: TerminalInfo | null;
  lastPassage: LastPassage | null;
  passedToday: number;
  flaggedToday: number;
}

export type CommandKind = 'open-once' | 'lockdown' | 'release-lockdown';
export type CommandStateName = 'pending' | 'acknowledged' | 'failed' | 'timed-out';

export interface CommandView {
  id: string;
  gateId: string;
  kind: CommandKind;
  reason: string;
  by: string;
  at: number;
  state: CommandStateName;
  error?: string | null;
  errorCode?: 'stale' | 'lockdown' | null;
}

export interface RoomOccupant {
  alertId: string;
  employeeNo: string | null;
  name: string | null;
  since: number;
}

export interface RoomView {
  id: string;
  name: string;
  capacity: number;
  shared: boolean;
  distances: Record<string, number>;
  occupants: RoomOccupant[];
  free: number;
}
