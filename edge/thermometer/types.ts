/** What every thermometer driver produces, whatever its wire protocol. */
import type { SensorKind } from '../../protocols/gate/messages.ts';
import type { z } from 'zod';

export interface Measurement {
  /** When the edge received it (epoch ms). */
  at: number;
  sensor: z.infer<typeof SensorKind>;
  /** As reported by the device, tenths of °C (the Modbus device has applied its own offset). */
  rawTenths: number;
  ambientTenths: number | null;
  /** Modbus measurement sequence register; null for devices without one. */
  sensorSeq: number | null;
  /** Device says the value is a valid body measurement. */
  valid: boolean;
  sensorFault: boolean;
  belowRange: boolean;
  aboveRange: boolean;
  distanceMm: number | null;
}

export type ThermometerLinkState = 'online' | 'offline' | 'fault';

export interface ThermometerEvents {
  measurement: Measurement;
  /**
   * The person in front of the thermometer walked away (devices that detect a target). The value
   * is the last time they were seen there (edge clock).
   */
  targetLeft: number;
  state: ThermometerLinkState;
  error: Error;
}

export interface ThermometerStats {
  badFrames: number;
  droppedBytes: number;
  timeouts: number;
  reconnects: number;
}

export interface ThermometerDriver {
  readonly state: ThermometerLinkState;
  readonly stats: ThermometerStats;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Ask for a measurement now (a face event arrived and none is fresh). */
  requestMeasurement(): void;
  on<K extends keyof ThermometerEvents>(event: K, fn: (e: ThermometerEvents[K]) => void): () => void;
}
