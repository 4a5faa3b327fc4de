/**
 * Test helpers for the alerts domain (imported by *.test.ts only): a service on a real SQLite
 * database with a manual clock, recording what it publishes, audits, logs and stores.
 */
import Database from 'better-sqlite3';
import { IsolationPlan } from '../../../protocols/dashboard/messages.ts';
import { AlertState, AlertStateList } from '../../../protocols/dashboard/messages.ts';
import {
  type AlertKind,
  type AlertMessage,
  type DecisionMessage,
  type GateStatus,
  type ReadingRecord,
  SCHEMA_VERSION,
} from '../../../protocols/gate/messages.ts';
import { DashboardTopic, GateTopic } from '../../../protocols/topics.ts';
import type { Webhook } from '../../../dashboard/config/schema.ts';
import type { EpisodeHoldAction } from '../../../dashboard/alerts/types.ts';

import { createAlertsService } from '../../../dashboard/alerts/service.ts';
import type { Actor, AlertsDeps, AlertsService, Room } from '../../../dashboard/alerts/types.ts';
import { ManualClock as KernelManualClock } from '../../../kernel/clock.ts';

export const SITE = 'site-1';
export const T0 = Date.UTC(2026, 2, 2, 8, 0, 0);
export const guard: Actor = { username: 'guard1', role: 'guard' };
export const admin: Actor = { username: 'admin1', role: 'admin' };

/** The kernel's manual clock from T0, with `now` bound (passed around as `clock.now`). */
export class ManualClock extends KernelManualClock {
  constructor(t = T0) {
    super(t);
  }
  override now = (): number => super.now();
}

export interface Published {
  topic: string;
  payload: string;
  opts: { qos: 0 | 1; retain?: boolean };
}

export interface HarnessOptions {
  /** A file for restart tests; default in memory. */
  path?: string;
  db?: Database.Database;
  clock?: ManualClock;
  rooms?: Room[];
  gates?: string[];
  webhooks?: Webhook[];
  escalateAfterMs?: number;
  episodeWindowMs?: number;
  fetch?: typeof fetch;
  webhookRetry?: AlertsDeps['webhookRetry'];
  maxListBytes?: number;
  /** The readings store fails this many writes first. */
  failWrites?: number;
  /** Webhook texts (default zh-CN, as the service's). */
  language?: 'zh-CN' | 'en';
  /** The site policy (default: none given, the service's built-in 37.3 °C). */
  policy?: AlertsDeps['policy'];
  /** Hold requests the service sends (recorded in `holdRequests`). */
  recordHolds?: boolean;
  person?: AlertsDeps['person'];
}

export interface Harness {
  svc: AlertsService;
  db: Database.Database;
  clock: ManualClock;
  published: Published[];
  audits: Array<{ by: Actor; action: string; target: string; detail?: object }>;
  readings: ReadingRecord[];
  logs: Array<{ level: string; o: object; m?: string }>;
  gates: string[];
  holdRequests: Array<{ by: Actor; request: EpisodeHoldAction }>;
  /** Stops the service and closes the database. */
  close(): void;
}

export function room(id: string, distances: Record<string, number> = {}, capacity = 1): Room {
  return { id, name: `Room ${id}`, capacity, shared: capacity > 1, distances };
}

export function openHarness(o: HarnessOptions = {}): Harness {
  const db = o.db ?? new Database(o.path ?? ':memory:');
  const clock = o.clock ?? new ManualClock();
  const published: Published[] = [];
  const audits: Harness['audits'] = [];
  const readings: ReadingRecord[] = [];
  const logs: Harness['logs'] = [];
  const gates = [...(o.gates ?? ['gate-a'])];
  let failWrites = o.failWrites ?? 0;
  const holdRequests: Harness['holdRequests'] = [];
  const svc = createAlertsService({
    db,
    siteId: SITE,
    now: clock.now,
    publish: (topic, payload, opts) => published.push({ topic, payload, opts }),
    readings: {
      write: async (r) => {
        if (failWrites > 0) {
          failWrites--;
          throw new Error('readings store down');
        }
        if (!readings.some((x) => x.id === r.id)) readings.push(r);
      },
    },
    seedRooms: o.rooms ?? [],
    escalateAfterMs: o.escalateAfterMs ?? 60_000,
    episodeWindowMs: o.episodeWindowMs ?? 30 * 60_000,
    webhooks: o.webhooks ?? [],
    ...(o.fetch ? { fetch: o.fetch } : {}),
    ...(o.webhookRetry ? { webhookRetry: o.webhookRetry } : {}),
    ...(o.maxListBytes ? { maxListBytes: o.maxListBytes } : {}),
    ...(o.language ? { language: o.language } : {}),
    ...(o.policy ? { policy: o.policy } : {}),
    ...(o.person ? { person: o.person } : {}),
    ...(o.recordHolds !== false
      ? {
          holds: {
            episodeHold: (by: Actor, request: EpisodeHoldAction) => {
              holdRequests.push({ by, request });
              return `req-${holdRequests.length}`;
            },
          },
        }
      : {}),
    audit: (by, action, target, detail) => audits.push({ by, action, target, ...(detail ? { detail } : {}) }),
    gates: () => gates,
    log: {
      info: (o2, m) => logs.push({ level: 'info', o: o2, ...(m ? { m } : {}) }),
      warn: (o2, m) => logs.push({ level: 'warn', o: o2, ...(m ? { m } : {}) }),
      error: (o2, m) => logs.push({ level: 'error', o: o2, ...(m ? { m } : {}) }),
    },
  });
  return {
    svc,
    db,
    clock,
    published,
    audits,
    readings,
    logs,
    gates,
    holdRequests,
    close: () => {
      svc.close();
      db.close();
    },
  };
}

let serial = 0;

export function gateAlert(kind: AlertKind, o: Partial<AlertMessage> = {}): AlertMessage {
  serial++;
  const gateId = o.gateId ?? 'gate-a';
  const readingId = o.readingId === undefined ? `${SITE}:${gateId}:${serial}` : o.readingId;
  return {
    v: SCHEMA_VERSION,
    id: o.id ?? `${SITE}:${gateId}:${kind}:${readingId ?? serial}`,
    siteId: SITE,
    gateId,
    kind,
    severity: o.severity ?? 'minor',
    at: o.at ?? T0,
    active: o.active ?? true,
    employeeNo: o.employeeNo === undefined ? 'E001' : o.employeeNo,
    name: o.name === undefined ? 'Zhang San' : o.name,
    temperatureTenths: o.temperatureTenths ?? null,
    readingId,
    detail: o.detail ?? kind,
    ...(o.device ? { device: o.device } : {}),
  };
}

/** A device condition (no person, no reading). */
export function condition(kind: AlertKind, active: boolean, o: Partial<AlertMessage> = {}): AlertMessage {
  return gateAlert(kind, {
    employeeNo: null,
    name: null,
    readingId: null,
    severity: kind === 'fire-alarm' ? 'critical' : 'major',
    active,
    detail: `${kind} ${active ? 'on' : 'over'}`,
    ...o,
  });
}

export function reading(o: Partial<ReadingRecord> = {}): ReadingRecord {
  serial++;
  const gateId = o.gateId ?? 'gate-a';
  return {
    v: SCHEMA_VERSION,
    id: o.id ?? `${SITE}:${gateId}:${serial}`,
    siteId: SITE,
    gateId,
    seq: serial,
    at: T0,
    recordedAt: T0,
    employeeNo: 'E001',
    temperatureTenths: 381,
    rawTenths: 379,
    offsetTenths: 2,
    ambientTenths: 240,
    source: 'gate-thermometer',
    sensor: 'modbus-ir',
    sensorSeq: 7,
    decision: 'flagged',
    reason: 'fever',
    mask: 'yes',
    pairingDelayMs: 120,
    terminalId: 'term-1',
    terminalSerialNo: serial,
    realtime: true,
    released: false,
    enteredBy: null,
    policyVersion: null,
    thresholdTenths: null,
    ...o,
  };
}

/** The decision and the alert a gate sends for one feverish passage. */
export function feverPassage(
  o: { gateId?: string; employeeNo?: string; tenths?: number; told?: string | null; name?: string } = {},
): { decision: DecisionMessage; alert: AlertMessage } {
  const r = reading({
    gateId: o.gateId ?? 'gate-a',
    employeeNo: o.employeeNo ?? 'E001',
    temperatureTenths: o.tenths ?? 381,
  });
  const decision: DecisionMessage = {
    v: SCHEMA_VERSION,
    reading: r,
    name: o.name ?? 'Zhang San',
    display: 'fever',
    isolationRoom: o.told ?? null,
  };
  const alert = gateAlert('fever', {
    gateId: r.gateId,
    id: `${SITE}:${r.gateId}:fever:${r.id}`,
    severity: 'critical',
    employeeNo: r.employeeNo,
    name: o.name ?? 'Zhang San',
    temperatureTenths: r.temperatureTenths,
    readingId: r.id,
    detail: 'fever',
  });
  return { decision, alert };
}

/** Feeds both messages of a feverish passage; returns the episode. */
export function fever(h: Harness, o: Parameters<typeof feverPassage>[0] = {}): AlertState {
  const p = feverPassage(o);
  h.svc.onDecision(p.decision);
  h.svc.onGateAlert(p.alert);
  const a = h.svc.get(p.alert.id);
  if (!a) throw new Error('no fever alert');
  return a;
}

export function status(gateId: string, o: Partial<GateStatus> = {}): GateStatus {
  return {
    v: SCHEMA_VERSION,
    siteId: SITE,
    gateId,
    online: true,
    at: T0,
    thermometer: 'online',
    gateState: 'locked',
    softwareVersion: '1',
    configVersion: '1',
    accessListVersion: null,
    policyVersion: null,
    policyOverrides: [],
    holdsVersion: null,
    listsRejected: [],
    terminalClockOffsetMs: null,
    ...o,
  };
}

/** The last retained plan published for each gate. */
export function plans(h: Harness): Map<string, IsolationPlan> {
  const out = new Map<string, IsolationPlan>();
  for (const p of h.published) {
    const m = /^tg\/[^/]+\/gate\/([^/]+)\/isolation$/.exec(p.topic);
    if (!m) continue;
    if (p.topic !== GateTopic.isolation(SITE, m[1] as string) || p.opts.retain !== true)
      throw new Error('plan not retained');
    out.set(m[1] as string, IsolationPlan.parse(JSON.parse(p.payload)));
  }
  return out;
}

export function alertStates(h: Harness): AlertState[] {
  return h.published
    .filter((p) => p.topic === DashboardTopic.alert(SITE))
    .map((p) => AlertState.parse(JSON.parse(p.payload)));
}

export function retainedList(h: Harness): AlertStateList | undefined {
  h.svc.flushAlertList(); // it goes out once per turn: the test asks for it now
  const last = h.published.filter((p) => p.topic === DashboardTopic.alerts(SITE)).at(-1);
  if (!last) return undefined;
  if (last.opts.retain !== true) throw new Error('alert list not retained');
  return AlertStateList.parse(JSON.parse(last.payload));
}
