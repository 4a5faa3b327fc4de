/**
 * The seam between the dashboard's alert/isolation domain (dashboard/alerts, dashboard/isolation)
 * and its server (dashboard/server, which feeds it from MQTT and exposes it over HTTP).
 * The domain owns its SQLite tables in the dashboard's database; time comes from an injected clock
 * and the escalation check runs on `tick()`, so tests drive it without real timers.
 */
import type { LiftReason } from '../../protocols/site/holds.ts';
import type { Database } from 'better-sqlite3';
import type {
  AlertMessage,
  DecisionMessage,
  GateStatus,
  ReadingRecord,
} from '../../protocols/gate/messages.ts';
import type {
  AlertAckRequest,
  AlertLifecycle,
  AlertState,
  Disposition,
} from '../../protocols/dashboard/messages.ts';
import type { SitePolicy } from '../../protocols/site/policy.ts';
import type { RoomConfig, Webhook } from '../config/schema.ts';

/** Who does something (from the session; 'opcua:<user>' for acknowledgements from OPC UA). */
export interface Actor {
  username: string;
  role: 'guard' | 'hr' | 'admin' | 'system';
}

export type Room = RoomConfig;

export interface RoomView extends Room {
  /** Open episodes in the room now (alert ids). */
  occupants: Array<{ alertId: string; employeeNo: string | null; name: string | null; since: number }>;
  free: number;
}

export interface RecheckInput {
  temperatureTenths: number;
  instrument: 'handheld' | 'contact';
  /** When it was taken (default now). */
  at?: number;
}

export interface AlertQuery {
  /** 'open' = not cleared (default); 'all' = with cleared ones too, newest first. */
  state?: 'open' | 'all';
  gateId?: string;
  /** Only alerts changed (updatedAt) at or after this time. */
  since?: number;
  /** Default 200. */
  limit?: number;
}

/** Writes a manual reading (handheld re-check, HR's manual entry, self-report) into the readings store. */
export interface ManualReadingSink {
  write(r: ReadingRecord): Promise<void>;
}

export interface AlertsDeps {
  db: Database;
  siteId: string;
  now: () => number;
  /** Publish on the broker (retained isolation plans, alert states). Never throws; queues when offline. */
  publish: (topic: string, payload: string, opts: { qos: 0 | 1; retain?: boolean }) => void;
  /** Where the handheld re-check is stored, with the guard's name. */
  readings: ManualReadingSink;
  /** Rooms to seed on first start (config `rooms`); afterwards admins manage them through the API. */
  seedRooms: Room[];
  escalateAfterMs: number;
  episodeWindowMs: number;
  webhooks: Webhook[];
  /** Defaults to global fetch; tests point webhooks at a local HTTP receiver anyway. */
  fetch?: typeof fetch;
  /** Webhook retries (default: 4 tries, 5 s then ×3 pauses, 10 s per request). */
  webhookRetry?: { attempts?: number; baseDelayMs?: number; timeoutMs?: number };
  /**
   * Byte budget of the retained AlertStateList (default 60 KiB): the hub closes the connection of
   * a client that publishes more than its maxPayloadBytes (64 KiB by default).
   */
  maxListBytes?: number;
  /** The audit log (who, what, when): every action and every acknowledgement from OPC UA. */
  audit: (by: Actor, action: string, target: string, detail?: object) => void;
  /** Gate ids known so far (fleet); plans are published for each. */
  gates: () => string[];
  /** The site policy the hub published (fever threshold for closing an episode); default: 37.3 °C. */
  policy?: () => SitePolicy;
  /**
   * Where an episode action's consequence for the person's hold goes (lift, stage, room): the site
   * service queues it for the hub and retries until answered. Without it, nothing is sent.
   */
  holds?: { episodeHold(by: Actor, a: EpisodeHoldAction): string };
  /** The person as the access list knows them (department for the fever notification). */
  person?: (employeeNo: string) => { name: string; department: string } | undefined;
  /** Language of webhook texts (default zh-CN), site name and zone for them. */
  language?: 'zh-CN' | 'en';
  siteName?: string;
  timeZone?: string;
  log: {
    info: (o: object, m?: string) => void;
    warn: (o: object, m?: string) => void;
    error: (o: object, m?: string) => void;
  };
}

/** Errors carry stable codes: TG_DASH_ALERT_NOT_FOUND, TG_DASH_ALERT_BAD_STAGE, TG_DASH_ROOM_* ... */
export interface AlertsService {
  /**
   * Publishes the retained list of open alerts now if a change is waiting for it (it goes out
   * once per turn of the event loop at most).
   */
  flushAlertList(): void;
  // Fed from MQTT by the server (already parsed and validated).
  onGateAlert(a: AlertMessage): void;
  onDecision(d: DecisionMessage): void;
  /**
   * A health declaration that names a symptom or a contact: an alert on the guards' board and a
   * message to the webhooks at once, like a fever (issue #18). One per person and day.
   */
  declared(d: { employeeNo: string; name: string | null; day: string; what: string; at: number }): AlertState;
  onGateStatus(s: GateStatus): void;
  onAckRequest(r: AlertAckRequest): void;

  // Guards' actions. Each returns the new state and throws a DashboardError on a bad request.
  acknowledge(alertId: string, by: Actor, comment?: string): AlertState;
  confirmArrival(alertId: string, by: Actor): AlertState;
  recordRecheck(
    alertId: string,
    by: Actor,
    input: RecheckInput,
  ): Promise<{ alert: AlertState; reading: ReadingRecord }>;
  close(alertId: string, by: Actor, disposition: Disposition, note?: string): AlertState;
  /** Without arguments: stops the service (timers, webhook deliveries in flight); the db stays open. */
  close(): void;
  /** A guard sends the person of an open episode to another room (with space). */
  moveToRoom(alertId: string, by: Actor, roomId: string): AlertState;
  /** Non-episode alerts (sensor fault, gate offline ...) cleared by a guard. */
  clear(alertId: string, by: Actor, note?: string): AlertState;

  list(q?: AlertQuery): AlertState[];
  get(alertId: string): AlertState | undefined;
  counts(): Record<AlertLifecycle, number>;

  rooms(): RoomView[];
  upsertRoom(room: Room, by: Actor): RoomView;
  removeRoom(roomId: string, by: Actor): void;

  /** Called after each alert change and each room change (for the live feed and the audit log). */
  onAlertChange(fn: (a: AlertState) => void): () => void;
  onRoomsChange(fn: (rooms: RoomView[]) => void): () => void;

  /** Escalation timers; the server calls it every second. */
  tick(): Promise<void>;
  /** Re-publishes the retained plans and alert list (after the MQTT link reconnects). */
  republish(): void;
}

/** What an episode action means for the person's hold (HoldRequest without the envelope). */
export type EpisodeHoldAction =
  | { action: 'lift'; employeeNo: string; reason: LiftReason; note: string; readingIds: string[] }
  | { action: 'stage'; employeeNo: string; stage: 'sent-home' | 'referred-to-hospital'; note: string }
  | { action: 'room'; employeeNo: string; room: { id: string; name: string } | null };
