/**
 * What the hub owns for the whole site besides the access list: the person holds and the site
 * policy, in one SQLite file (`site.sqlite` in the persistence folder, WAL). The hub process and the
 * CLI (`hub hold lift`, `hub policy set`) both write it, each change in one transaction that also
 * bumps the version, so two writers cannot take the same version; the hub polls the version and
 * publishes what changed. Every change of a hold is kept in `hold_log` (who, what, when).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  type HoldRequest,
  type HoldRoom,
  type HoldsSnapshot,
  PersonHold,
} from '../../protocols/site/holds.ts';
import type { PolicyRequest } from '../../protocols/site/policy-request.ts';
import { defaultSitePolicy, SitePolicy } from '../../protocols/site/policy.ts';
import { HubError, HubErrorCode } from '../errors.ts';

/** A hold keeps the newest flagged readings it covers; a gate's own flag is its latest one. */
const MAX_READING_IDS = 32;
/** How long a room sent for a hold not yet open waits for that hold. */
const PENDING_ROOM_MS = 60_000;

export interface Flag {
  employeeNo: string;
  name: string;
  gateId: string;
  readingId: string;
  temperatureTenths: number | null;
  room: HoldRoom | null;
  at: number;
}

export type Outcome = { ok: true; version: number } | { ok: false; code: HubErrorCode; error: string };

const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hold (employee_no TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hold_log (
  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, employee_no TEXT NOT NULL,
  action TEXT NOT NULL, by TEXT NOT NULL, detail TEXT NOT NULL
);
`;

export class SiteStore {
  private readonly db: Database.Database;
  private readonly pendingRooms = new Map<string, { room: HoldRoom | null; at: number }>();

  constructor(
    readonly path: string,
    private readonly now: () => number = Date.now,
  ) {
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path, { timeout: 5000 });
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.exec(DDL);
    } catch (e) {
      throw new HubError(HubErrorCode.SITE_STORE, `${path}: ${(e as Error).message}`);
    }
  }

  close(): void {
    this.db.close();
  }

  // --- policy ---

  /** The current site policy; the first call on a new store makes version 1 from the defaults. */
  policy(): SitePolicy {
    const row = this.meta('policy');
    if (row) {
      const r = SitePolicy.safeParse(JSON.parse(row));
      if (!r.success) throw new HubError(HubErrorCode.SITE_STORE, `${this.path}: stored policy invalid`);
      return r.data;
    }
    const first: SitePolicy = { ...defaultSitePolicy(), version: 1, issuedAt: this.now(), issuedBy: 'hub' };
    this.db
      .prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)')
      .run('policy', JSON.stringify(first));
    return SitePolicy.parse(JSON.parse(this.meta('policy') as string));
  }

  setPolicy(req: Pick<PolicyRequest, 'baseVersion' | 'rules' | 'calendar' | 'by'>): Outcome {
    return this.db.transaction((): Outcome => {
      const cur = this.policy();
      if (req.baseVersion !== cur.version)
        return {
          ok: false,
          code: HubErrorCode.POLICY_CONFLICT,
          error: `policy changed meanwhile: edited version ${req.baseVersion}, current ${cur.version}`,
        };
      const next: SitePolicy = SitePolicy.parse({
        v: 1,
        version: cur.version + 1,
        issuedAt: this.now(),
        issuedBy: req.by,
        rules: req.rules,
        calendar: req.calendar,
      });
      this.db
        .prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)')
        .run('policy', JSON.stringify(next));
      return { ok: true, version: next.version };
    })();
  }

  // --- holds ---

  holdsVersion(): number {
    return Number(this.meta('holds.version') ?? 0);
  }

  /** The current holds (null before the first one ever: nothing to publish yet). */
  holdsSnapshot(): HoldsSnapshot | null {
    return this.db.transaction((): HoldsSnapshot | null => {
      const version = this.holdsVersion();
      if (version === 0) return null;
      return {
        v: 1,
        version,
        issuedAt: Number(this.meta('holds.issuedAt') ?? 0),
        entries: this.holds(),
      };
    })();
  }

  holds(): PersonHold[] {
    const rows = this.db.prepare('SELECT body FROM hold ORDER BY employee_no').all() as { body: string }[];
    return rows.map((r) => PersonHold.parse(JSON.parse(r.body)));
  }

  hold(employeeNo: string): PersonHold | undefined {
    const row = this.db.prepare('SELECT body FROM hold WHERE employee_no = ?').get(employeeNo) as
      | { body: string }
      | undefined;
    return row ? PersonHold.parse(JSON.parse(row.body)) : undefined;
  }

  /**
   * A gate flagged this person. Opens a hold (or adds the reading to the open one). A redelivered
   * decision (its reading already listed) changes nothing; a fever after a lift opens a new hold,
   * even one measured before the lift reached the hub: the closer never saw it.
   */
  flag(f: Flag): boolean {
    return this.db.transaction((): boolean => {
      const h = this.hold(f.employeeNo);
      if (h?.readingIds.includes(f.readingId)) return false;
      const now = this.now();
      let next: PersonHold;
      if (h?.state === 'active') {
        next = {
          ...h,
          updatedAt: now,
          temperatureTenths: f.temperatureTenths ?? h.temperatureTenths,
          readingIds: [...h.readingIds, f.readingId].slice(-MAX_READING_IDS),
          room: h.room ?? f.room,
          name: h.name || f.name,
        };
      } else {
        const pending = this.pendingRooms.get(f.employeeNo);
        this.pendingRooms.delete(f.employeeNo);
        const room = pending && now - pending.at < PENDING_ROOM_MS ? pending.room : f.room;
        next = PersonHold.parse({
          employeeNo: f.employeeNo,
          name: f.name,
          state: 'active',
          stage: 'fever',
          since: f.at,
          updatedAt: now,
          gateId: f.gateId,
          temperatureTenths: f.temperatureTenths,
          readingIds: [f.readingId],
          room,
          by: `gate:${f.gateId}`,
        });
      }
      this.put(next, h?.state === 'active' ? 'flag-again' : 'open-fever', `gate:${f.gateId}`, f.readingId);
      return true;
    })();
  }

  /** A dashboard's (or the CLI's) request. */
  request(req: HoldRequest): Outcome {
    return this.db.transaction((): Outcome => {
      const h = this.hold(req.employeeNo);
      const now = this.now();
      const active = h?.state === 'active' ? h : undefined;
      const notFound = (): Outcome => ({
        ok: false,
        code: HubErrorCode.HOLD_NOT_FOUND,
        error: `no active hold for ${req.employeeNo}`,
      });
      switch (req.action) {
        case 'open': {
          if (active) return { ok: true, version: this.holdsVersion() };
          const next = PersonHold.parse({
            employeeNo: req.employeeNo,
            name: req.name,
            state: 'active',
            stage: 'manual',
            since: now,
            updatedAt: now,
            gateId: null,
            temperatureTenths: null,
            readingIds: [],
            room: null,
            by: req.by,
            note: req.note,
          });
          this.put(next, 'open-manual', req.by, req.note);
          break;
        }
        case 'stage':
          if (!active) return notFound();
          this.put(
            { ...active, stage: req.stage, note: req.note, updatedAt: now, by: req.by },
            `stage:${req.stage}`,
            req.by,
            req.note,
          );
          break;
        case 'room':
          if (!active) {
            // The dashboard places a flagged person as soon as it sees the gate's decision, which
            // may reach it before the hub has opened the hold from the same decision: kept for the
            // hold about to open rather than refused.
            this.pendingRooms.set(req.employeeNo, { room: req.room, at: now });
            return { ok: true, version: this.holdsVersion() };
          }
          this.put(
            { ...active, room: req.room, updatedAt: now, by: req.by },
            'room',
            req.by,
            req.room?.id ?? '',
          );
          break;
        case 'lift': {
          if (!active) return notFound();
          // An empty list claims nothing (the dashboard forgets the reading ids of very old episodes).
          const seen = req.readingIds?.length ? req.readingIds : undefined;
          const unseen = seen ? active.readingIds.filter((id) => !seen.includes(id)) : [];
          if (unseen.length > 0)
            return {
              ok: false,
              code: HubErrorCode.HOLD_NEWER_FLAG,
              error: `${req.employeeNo} was flagged again (${unseen.join(', ')}): not lifted`,
            };
          this.put(
            {
              ...active,
              state: 'lifted',
              updatedAt: now,
              liftedAt: now,
              liftedBy: req.by,
              liftReason: req.reason,
              returnDate: req.returnDate,
              note: req.note,
            },
            `lift:${req.reason}`,
            req.by,
            [req.note, req.returnDate].filter(Boolean).join(' '),
          );
          break;
        }
      }
      return { ok: true, version: this.holdsVersion() };
    })();
  }

  /** Forgets lifted holds older than `keepMs` (gates need them only to drop their own flags). */
  prune(keepMs: number): number {
    return this.db.transaction((): number => {
      const cutoff = this.now() - keepMs;
      const old = this.holds().filter((h) => h.state === 'lifted' && (h.liftedAt ?? 0) < cutoff);
      for (const h of old) this.db.prepare('DELETE FROM hold WHERE employee_no = ?').run(h.employeeNo);
      if (old.length) this.bump();
      return old.length;
    })();
  }

  /** The change log of one person's holds, newest first. */
  log(
    employeeNo?: string,
    limit = 100,
  ): Array<{ at: number; employeeNo: string; action: string; by: string; detail: string }> {
    const q = employeeNo
      ? this.db.prepare(
          'SELECT at, employee_no AS employeeNo, action, by, detail FROM hold_log WHERE employee_no = ? ORDER BY id DESC LIMIT ?',
        )
      : this.db.prepare(
          'SELECT at, employee_no AS employeeNo, action, by, detail FROM hold_log ORDER BY id DESC LIMIT ?',
        );
    return (employeeNo ? q.all(employeeNo, limit) : q.all(limit)) as never;
  }

  private put(h: PersonHold, action: string, by: string, detail: string): void {
    this.db
      .prepare('INSERT OR REPLACE INTO hold (employee_no, body) VALUES (?, ?)')
      .run(h.employeeNo, JSON.stringify(h));
    this.db
      .prepare('INSERT INTO hold_log (at, employee_no, action, by, detail) VALUES (?, ?, ?, ?, ?)')
      .run(this.now(), h.employeeNo, action, by, detail);
    this.bump();
  }

  private bump(): void {
    const v = this.holdsVersion() + 1;
    const set = this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    set.run('holds.version', String(v));
    set.run('holds.issuedAt', String(this.now()));
  }

  private meta(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as
      | { value: string }
      | undefined;
    return row?.value;
  }
}
