/**
 * What the site's gates look like right now, for the guard's tiles (GET /api/gates) and /metrics:
 * the hub's retained fleet snapshot, each gate's last status and heartbeat, its last passage, and
 * today's passed/flagged counts (site time zone). Counts come from the decisions themselves, kept
 * in SQLite by reading id: a redelivered decision is not counted twice and a restart keeps the day.
 * Also keeps the latest access list snapshot (the roster HR and admins see).
 *
 * The passages are written once per turn of the event loop (db/turn-writes.ts; a transaction per
 * decision was a quarter of the dashboard's CPU at 1,000 gates). A decision is judged new against
 * the rows written and those waiting; every read of the rows (`todayCounts`, the pruning) writes
 * the waiting ones first. A dashboard killed within the turn loses that turn's rows although the
 * broker had their PUBACKs: tile counts and last passages only, never an alert (those are on the
 * synchronous=FULL connection, db/open.ts).
 */
import type { AccessListSnapshot } from '../../protocols/gate/access-list.ts';
import type { DecisionMessage, GateStatus, Heartbeat } from '../../protocols/gate/messages.ts';
import type { FleetGate, FleetSnapshot } from '../../protocols/hub/fleet.ts';
import { migrate } from '../db/migrate.ts';
import type { Db } from '../db/open.ts';
import { localDay } from '../store/local-time.ts';
import { TurnWrites } from '../db/turn-writes.ts';

export interface LastPassage {
  at: number;
  employeeNo: string;
  name: string | null;
  temperatureTenths: number | null;
  decision: string;
  reason: string;
  readingId: string;
}

export interface GateTile {
  gateId: string;
  online: boolean;
  offlineReason: FleetGate['offlineReason'];
  thermometer: FleetGate['thermometer'];
  gateState: FleetGate['gateState'];
  softwareVersion: string;
  configVersion: string;
  accessListVersion: number | null;
  lastSeenAt: number | null;
  outbox: FleetGate['outbox'];
  terminalId: string | null;
  /** The gate's face terminal as the hub sees it (null: no terminal known for this gate). */
  terminalOnline: boolean | null;
  terminalOfflineReason: FleetGate['offlineReason'];
  /** The site policy version the gate decides with, and the site rules its own config overrides. */
  policyVersion: number | null;
  policyOverrides: string[];
  /** The face terminal's clock offset from the gate's, ms (null: not observed yet). */
  terminalClockOffsetMs: number | null;
  /**
   * The face terminal as its gate's driver reports it (protocol, and for an ISAPI terminal its
   * deviceInfo: model, serial number, firmware); null from MQTT terminals and older gates.
   */
  terminal: NonNullable<FleetGate['terminal']> | null;
  lastPassage: LastPassage | null;
  passedToday: number;
  flaggedToday: number;
}

const STEPS = [
  `CREATE TABLE gate_passages (
     reading_id TEXT PRIMARY KEY,
     gate_id TEXT NOT NULL,
     day TEXT NOT NULL,
     decision TEXT NOT NULL
   );
   CREATE INDEX gate_passages_day ON gate_passages (day, gate_id);
   CREATE TABLE gate_last (
     gate_id TEXT PRIMARY KEY,
     passage TEXT NOT NULL
   );
   CREATE TABLE wire_latest (
     name TEXT PRIMARY KEY,
     data TEXT NOT NULL
   )`,
];

/** Days of per-passage rows kept for the counts (today is all the tiles need; a little slack for DST). */
const KEEP_DAYS = 3;

export class GateBoard {
  private fleet: FleetSnapshot | null = null;
  private accessList: AccessListSnapshot | null = null;
  private readonly statuses = new Map<string, GateStatus>();
  private readonly heartbeats = new Map<string, Heartbeat>();
  private readonly last = new Map<string, LastPassage>();
  private readonly insertPassage;
  private readonly upsertLast;
  private readonly hasPassage;
  /** Passages (by reading id) and gates' last passages not written yet. */
  private readonly waiting = new Map<string, { gateId: string; day: string; decision: string }>();
  private readonly waitingLast = new Map<string, LastPassage>();
  private readonly writes: TurnWrites;

  constructor(
    private readonly db: Db,
    private readonly opts: {
      timeZone: string;
      now: () => number;
      /**
       * A turn's passages could not be written (a full disk): they are dropped and reported, as
       * a failing write in the message's handler was before they were batched (the message is
       * acknowledged all the same). Not given: thrown.
       */
      onWriteError?: (err: unknown, passages: number) => void;
    },
  ) {
    migrate(db, 'gates', STEPS);
    this.insertPassage = db.prepare(
      'INSERT OR IGNORE INTO gate_passages (reading_id, gate_id, day, decision) VALUES (?, ?, ?, ?)',
    );
    this.upsertLast = db.prepare(
      'INSERT INTO gate_last (gate_id, passage) VALUES (?, ?) ON CONFLICT(gate_id) DO UPDATE SET passage = excluded.passage',
    );
    this.hasPassage = db.prepare('SELECT 1 FROM gate_passages WHERE reading_id = ?').pluck();
    this.writes = new TurnWrites(
      db,
      {
        size: () => this.waiting.size,
        write: () => {
          for (const [id, w] of this.waiting) this.insertPassage.run(id, w.gateId, w.day, w.decision);
          for (const [gateId, p] of this.waitingLast) this.upsertLast.run(gateId, JSON.stringify(p));
        },
        clear: () => {
          this.waiting.clear();
          this.waitingLast.clear();
        },
      },
      opts.onWriteError ? { onError: opts.onWriteError } : {},
    );
    for (const r of db.prepare('SELECT gate_id, passage FROM gate_last').all() as Array<{
      gate_id: string;
      passage: string;
    }>)
      this.last.set(r.gate_id, JSON.parse(r.passage));
    // The hub republishes both retained, but a dashboard started while the broker is away still shows them.
    const latest = (name: string) =>
      (db.prepare('SELECT data FROM wire_latest WHERE name = ?').get(name) as { data: string } | undefined)
        ?.data;
    const f = latest('fleet');
    if (f) this.fleet = JSON.parse(f);
    const a = latest('access-list');
    if (a) this.accessList = JSON.parse(a);
    this.pruneOldDays();
  }

  private keep(name: string, value: unknown): void {
    this.db
      .prepare(
        'INSERT INTO wire_latest (name, data) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET data = excluded.data',
      )
      .run(name, JSON.stringify(value));
  }

  /** Returns true when something a tile shows changed (not only the snapshot time). */
  onFleet(s: FleetSnapshot): boolean {
    const strip = (f: FleetSnapshot | null) => (f ? JSON.stringify({ ...f, at: 0 }) : '');
    const changed = strip(this.fleet) !== strip(s);
    this.fleet = s;
    if (changed) this.keep('fleet', s);
    return changed;
  }

  currentFleet(): FleetSnapshot | null {
    return this.fleet;
  }

  onAccessList(s: AccessListSnapshot): void {
    if (this.accessList && this.accessList.version > s.version) return;
    this.accessList = s;
    this.keep('access-list', s);
  }

  roster(): AccessListSnapshot | null {
    return this.accessList;
  }

  onStatus(s: GateStatus): void {
    this.statuses.set(s.gateId, s);
  }

  onHeartbeat(h: Heartbeat): void {
    this.heartbeats.set(h.gateId, h);
  }

  heartbeat(gateId: string): Heartbeat | undefined {
    return this.heartbeats.get(gateId);
  }

  /** Returns false for a decision already seen (a QoS 1 redelivery). */
  onDecision(d: DecisionMessage): boolean {
    const r = d.reading;
    const day = localDay(this.opts.timeZone, r.at);
    const prev = this.last.get(r.gateId);
    const newer = !prev || prev.at <= r.at;
    const p: LastPassage = {
      at: r.at,
      employeeNo: r.employeeNo,
      name: d.name || null,
      temperatureTenths: r.temperatureTenths,
      decision: r.decision,
      reason: r.reason,
      readingId: r.id,
    };
    if (this.waiting.has(r.id) || this.hasPassage.get(r.id) !== undefined) return false;
    this.waiting.set(r.id, { gateId: r.gateId, day, decision: r.decision });
    if (newer) {
      this.last.set(r.gateId, p);
      this.waitingLast.set(r.gateId, p);
    }
    this.writes.request();
    return true;
  }

  /** Writes the waiting passages now (before a read of them, and at a stop). */
  flush(): void {
    this.writes.flush();
  }

  /** Writes what waits; from now on each decision is written when it comes. */
  close(): void {
    this.writes.close();
  }

  /** Every gate heard of: the fleet's, and any that spoke directly (a site without a hub). */
  gateIds(): string[] {
    const ids = new Set<string>([
      ...(this.fleet?.gates.map((g) => g.gateId) ?? []),
      ...this.statuses.keys(),
      ...this.heartbeats.keys(),
      ...this.last.keys(),
    ]);
    return [...ids].sort();
  }

  todayCounts(): Map<string, { passed: number; flagged: number }> {
    this.flush();
    const day = localDay(this.opts.timeZone, this.opts.now());
    const out = new Map<string, { passed: number; flagged: number }>();
    for (const r of this.db
      .prepare(
        "SELECT gate_id, decision, COUNT(*) AS n FROM gate_passages WHERE day = ? AND decision IN ('pass', 'flagged') GROUP BY gate_id, decision",
      )
      .all(day) as Array<{ gate_id: string; decision: string; n: number }>) {
      const c = out.get(r.gate_id) ?? { passed: 0, flagged: 0 };
      if (r.decision === 'pass') c.passed = r.n;
      else c.flagged = r.n;
      out.set(r.gate_id, c);
    }
    return out;
  }

  tiles(): GateTile[] {
    const counts = this.todayCounts();
    return this.gateIds().map((gateId) => {
      const f = this.fleet?.gates.find((g) => g.gateId === gateId);
      const s = this.statuses.get(gateId);
      const h = this.heartbeats.get(gateId);
      const c = counts.get(gateId) ?? { passed: 0, flagged: 0 };
      const terminalId = f?.terminalId ?? null;
      const term =
        this.fleet?.terminals.find((t) => t.terminalId === terminalId) ??
        this.fleet?.terminals.find((t) => t.gateId === gateId);
      return {
        gateId,
        online: f?.online ?? s?.online ?? false,
        offlineReason: f?.offlineReason ?? null,
        thermometer: f?.thermometer ?? h?.thermometer ?? s?.thermometer ?? 'none',
        gateState: f?.gateState ?? h?.gateState ?? s?.gateState ?? 'locked',
        softwareVersion: f?.softwareVersion ?? s?.softwareVersion ?? '',
        configVersion: f?.configVersion ?? s?.configVersion ?? '',
        accessListVersion: f?.accessListVersion ?? h?.accessListVersion ?? s?.accessListVersion ?? null,
        lastSeenAt:
          f?.lastSeenAt ?? (Math.max(s?.at ?? 0, h?.at ?? 0, this.last.get(gateId)?.at ?? 0) || null),
        outbox: f?.outbox ?? h?.outbox ?? null,
        terminalId: terminalId ?? term?.terminalId ?? null,
        terminalOnline: term ? term.online : null,
        terminalOfflineReason: term?.offlineReason ?? null,
        policyVersion: f?.policyVersion ?? s?.policyVersion ?? null,
        policyOverrides: f?.policyOverrides ?? s?.policyOverrides ?? [],
        terminalClockOffsetMs: f?.terminalClockOffsetMs ?? s?.terminalClockOffsetMs ?? null,
        terminal: f?.terminal ?? s?.terminal ?? null,
        lastPassage: this.last.get(gateId) ?? null,
        passedToday: c.passed,
        flaggedToday: c.flagged,
      };
    });
  }

  /**
   * The gate is offline by what the hub's fleet (or, without one, the gate's own status) says. A
   * gate heard of only through its decisions is not known to be offline.
   */
  knownOffline(gateId: string): { offline: boolean; reason: FleetGate['offlineReason'] } {
    const f = this.fleet?.gates.find((g) => g.gateId === gateId);
    if (f) return { offline: !f.online, reason: f.offlineReason };
    const s = this.statuses.get(gateId);
    return { offline: s?.online === false, reason: null };
  }

  onlineCount(): number {
    return this.tiles().filter((t) => t.online).length;
  }

  pruneOldDays(): void {
    this.flush();
    const cutoff = localDay(this.opts.timeZone, this.opts.now() - KEEP_DAYS * 86_400_000);
    this.db.prepare('DELETE FROM gate_passages WHERE day < ?').run(cutoff);
  }
}
