/**
 * Disk persistence for aedes 1.x in one SQLite file (better-sqlite3): retained messages, persistent
 * sessions' subscriptions, QoS 1/2 messages queued or in flight to them, QoS 2 receive state, and
 * wills. It implements aedes-persistence 11's async interface and passes its conformance suite
 * (test/hub/persistence-conformance.test.ts).
 *
 * Why SQLite rather than a package: better-sqlite3 is already a dependency, WAL mode survives a
 * killed process with every committed write (synchronous=NORMAL loses at most the last writes of
 * a power cut), and one file is easy to back up. aedes-persistence-level 9.2 also works with aedes
 * 1.2 on Node 20 (tried), at the cost of two more dependencies (level, msgpack-lite).
 *
 * Calls are synchronous under the async signatures: each is a few microseconds on the broker's
 * thread, cheaper than the promise round trip of an asynchronous store.
 *
 * The queue of QoS 1/2 messages to persistent sessions (`outgoing`) is the hot path: every message
 * a gate publishes is queued for every persistent session subscribed to it. Its writes are made
 * cheap without weakening what an acknowledgement promises (hub/README.md § Persistence, guarantee
 * → mechanism → test):
 * - rows are written in batches, one transaction per turn of the event loop (`flush`); a write
 *   that a promise depends on (the copies stored before a PUBACK, storeBeforeAck) calls back only
 *   after its batch committed, and every read of the queue commits the batch first;
 * - aedes's own copy of a message does not replace the rows stored before the PUBACK: it is an
 *   alias of them, kept in memory (`ClientQueue.rows`), written to the row only when a client's
 *   aliases outgrow memory (an offline session collecting a backlog);
 * - the packet id of a QoS 1 message in flight lives in memory only (`ClientQueue.inflight`); the
 *   row is deleted at its PUBACK, in the next batch. After a hub kill the message is sent again
 *   from its row with a new packet id (at least once, as QoS 1 promises). QoS 2 keeps its packet
 *   ids on disk (a new id would make the receiver deliver it twice).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { deserialize, serialize } from 'node:v8';
import Database from 'better-sqlite3';
import { type IndexedSub, SubscriptionIndex } from './subscription-index.ts';
import { startWalCheckpointer, type WalCheckpointer } from './wal-checkpointer.ts';
import { OncePerTurn } from '../../kernel/turn.ts';

type Packet = Record<string, unknown> & {
  topic?: string;
  payload?: unknown;
  messageId?: number;
  brokerId?: string;
  brokerCounter?: number;
};
interface ClientRef {
  id: string;
  /** aedes's Client: set when its connection closes. */
  closed?: boolean;
}
interface SubRecord {
  qos: number;
  rh?: number;
  rap?: boolean;
  nl?: boolean;
  subscriptionIdentifier?: number;
}

export interface SqlitePersistenceOptions {
  /** Database file, or ':memory:' (tests, or a hub that accepts losing sessions on restart). */
  path: string;
  /**
   * Called before a subscription is stored. aedes stores every subscription of a SUBSCRIBE packet
   * once any one of them is granted, denied ones included; filtering here keeps a denied topic
   * from collecting queued messages for that client.
   */
  acceptSubscription?: (clientId: string, topic: string) => boolean;
  /** Clock for the sessions' last-seen times (session-expiry.ts); tests inject one. */
  now?: () => number;
  /** The background checkpoint stopped working; the database checkpoints in its commits again. */
  onCheckpointerFailure?: (err: string) => void;
}

/** SQLite's default `wal_autocheckpoint`, the fallback when the checkpoint worker fails. */
const AUTO_CHECKPOINT_PAGES = 1000;

/**
 * Aliases of queued rows kept in memory, per client and in all (sessions away collect them until
 * they are back); beyond these they are written to the rows.
 */
const MAX_ALIASES_PER_CLIENT = 10_000;
const MAX_ALIASES = 200_000;

/** What is known in memory about one client's queued rows (see the top of the file). */
interface ClientQueue {
  /** aedes's identity of a queued message (`brokerId` + `brokerCounter`) → the row holding it. */
  rows: Map<string, number>;
  /** row → its keys in `rows`, to forget the aliases when the row goes. */
  aliasOf: Map<number, string[]>;
  /** Packet id of a QoS 1 message in flight → its row and the packet as stored with that id. */
  inflight: Map<number, { seq: number; packet: Packet }>;
  /** row → its packet id in flight. */
  idOf: Map<number, number>;
}

const identity = (brokerId: unknown, brokerCounter: unknown) => `${brokerId}\u0000${brokerCounter}`;

/** What purging one client's session removed. */
export interface PurgedSession {
  clientId: string;
  subscriptions: number;
  queued: number;
}

/** The stored form of a packet: own data properties only (aedes attaches callbacks to some). */
function encode(p: object): Buffer {
  const plain: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (typeof v !== 'function') plain[k] = v;
  return serialize(plain);
}
const decode = (b: Buffer): Packet => deserialize(b) as Packet;

/** What `new Packet(original)` of aedes-packet makes of a packet that is queued for a client. */
function queuedPacket(original: Packet): Packet {
  const p: Packet = {};
  for (const k of ['clientId', 'nl', 'properties', 'messageExpiry'])
    if (Object.hasOwn(original, k)) p[k] = original[k];
  p.cmd = original.cmd || 'publish';
  p.brokerId = original.brokerId || undefined;
  p.brokerCounter = original.brokerCounter || 0;
  p.topic = original.topic;
  p.payload = original.payload || Buffer.alloc(0);
  p.qos = original.qos || 0;
  p.retain = original.retain || false;
  p.dup = original.dup || false;
  if ((p.qos as number) > 0 || p.cmd !== 'publish') p.messageId = undefined;
  return p;
}

/** The literal start of a pattern, to read only that range of topics ('a/b/#' → 'a/b', which `#` also matches). */
function literalPrefix(pattern: string): string {
  const i = pattern.search(/[+#]/);
  const head = i === -1 ? pattern : pattern.slice(0, i);
  return head.endsWith('/') ? head.slice(0, -1) : head;
}

export class SqlitePersistence {
  private readonly db: Database.Database;
  private readonly index = new SubscriptionIndex();
  /** The topics that have a retained message (loaded at the first exact-topic subscription). */
  private retainedTopics: Set<string> | undefined;
  /** clientId → topic → record: every stored subscription, QoS 0 included. */
  private readonly subs = new Map<string, Map<string, SubRecord>>();
  private _broker: { id: string } | undefined;
  private destroyed = false;
  /** Rows queued by storeBeforeAck, by the message's payload object (aedes hands the same Buffer on). */
  private readonly early = new WeakMap<object, Array<{ clientId: string; seq: number }>>();
  private earlyCounter = 0;
  /** What memory knows of each client's queue (aliases, packet ids in flight). */
  private readonly queues = new Map<string, ClientQueue>();
  /** The next row id of `outgoing` (assigned here, so that a row is known before its batch commits). */
  private nextSeq: number;
  /** Writes of the current batch, and what waits for its commit. */
  private pending: Array<() => void> = [];
  private afterCommit: Array<(err: Error | null) => void> = [];
  /** The batch's commit, at the end of the turn that wrote (flush() also commits at once). */
  private readonly endOfTurn = new OncePerTurn(() => this.flush());
  /** Aliases held in all `queues`. */
  private aliases = 0;
  private readonly q;
  private readonly checkpointer: WalCheckpointer | undefined;

  constructor(private readonly opts: SqlitePersistenceOptions) {
    if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
    this.db = new Database(opts.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    if (opts.path !== ':memory:') {
      // Checkpoints run on a worker thread (wal-checkpointer.ts), never inside a commit here.
      this.db.pragma('wal_autocheckpoint = 0');
      this.checkpointer = startWalCheckpointer({
        path: opts.path,
        onFailure: (err) => {
          if (!this.destroyed) this.db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
          opts.onCheckpointerFailure?.(err);
        },
      });
    }
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS retained (topic TEXT PRIMARY KEY, packet BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS subscriptions (client_id TEXT NOT NULL, topic TEXT NOT NULL, sub BLOB NOT NULL,
        PRIMARY KEY (client_id, topic));
      CREATE TABLE IF NOT EXISTS outgoing (seq INTEGER PRIMARY KEY AUTOINCREMENT, client_id TEXT NOT NULL,
        broker_id TEXT, broker_counter INTEGER, message_id INTEGER, packet BLOB NOT NULL);
      CREATE INDEX IF NOT EXISTS outgoing_by_client ON outgoing (client_id, seq);
      CREATE INDEX IF NOT EXISTS outgoing_by_counter ON outgoing (client_id, broker_id, broker_counter);
      CREATE INDEX IF NOT EXISTS outgoing_by_message ON outgoing (client_id, message_id);
      CREATE TABLE IF NOT EXISTS incoming (client_id TEXT NOT NULL, message_id INTEGER NOT NULL, packet BLOB NOT NULL,
        PRIMARY KEY (client_id, message_id));
      CREATE TABLE IF NOT EXISTS wills (client_id TEXT PRIMARY KEY, broker_id TEXT, packet BLOB NOT NULL);
      -- When each client was last connected (session-expiry.ts): persistent sessions of clients that
      -- never come back are dropped after limits.sessionExpiryDays. connected = 1 while it is.
      CREATE TABLE IF NOT EXISTS sessions (client_id TEXT PRIMARY KEY, last_seen INTEGER NOT NULL,
        connected INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX IF NOT EXISTS sessions_by_last_seen ON sessions (last_seen);
    `);
    const db = this.db;
    this.q = {
      putRetained: db.prepare('INSERT OR REPLACE INTO retained (topic, packet) VALUES (?, ?)'),
      delRetained: db.prepare('DELETE FROM retained WHERE topic = ?'),
      retainedFrom: db.prepare('SELECT topic, packet FROM retained WHERE topic >= ? ORDER BY topic'),
      allRetained: db.prepare('SELECT topic, packet FROM retained ORDER BY topic'),
      retainedTopics: db.prepare('SELECT topic FROM retained'),
      retainedOne: db.prepare('SELECT packet FROM retained WHERE topic = ?'),
      putSub: db.prepare('INSERT OR REPLACE INTO subscriptions (client_id, topic, sub) VALUES (?, ?, ?)'),
      delSub: db.prepare('DELETE FROM subscriptions WHERE client_id = ? AND topic = ?'),
      allSubs: db.prepare('SELECT client_id, topic, sub FROM subscriptions'),
      enqueue: db.prepare(
        'INSERT INTO outgoing (seq, client_id, broker_id, broker_counter, message_id, packet) VALUES (?, ?, ?, ?, NULL, ?)',
      ),
      alias: db.prepare('UPDATE outgoing SET broker_id = ?, broker_counter = ? WHERE seq = ?'),
      maxSeq: db.prepare(
        "SELECT MAX(COALESCE((SELECT MAX(seq) FROM outgoing), 0), COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outgoing'), 0)) AS n",
      ),
      byCounter: db.prepare(
        'SELECT seq, packet FROM outgoing WHERE client_id = ? AND broker_id = ? AND broker_counter = ? ORDER BY seq LIMIT 1',
      ),
      seqByCounter: db.prepare(
        'SELECT seq FROM outgoing WHERE client_id = ? AND broker_id = ? AND broker_counter = ? ORDER BY seq LIMIT 1',
      ),
      byMessage: db.prepare(
        'SELECT seq, packet FROM outgoing WHERE client_id = ? AND message_id = ? ORDER BY seq LIMIT 1',
      ),
      setMessage: db.prepare('UPDATE outgoing SET message_id = ?, packet = ? WHERE seq = ?'),
      // A packet id names one in-flight packet per client: an older holder of the same id is stale.
      releaseMessage: db.prepare(
        'UPDATE outgoing SET message_id = NULL WHERE client_id = ? AND message_id = ? AND seq <> ?',
      ),
      replace: db.prepare(
        'UPDATE outgoing SET message_id = ?, broker_id = NULL, broker_counter = NULL, packet = ? WHERE seq = ?',
      ),
      delOutgoing: db.prepare('DELETE FROM outgoing WHERE seq = ?'),
      outgoingOf: db.prepare(
        'SELECT seq, broker_id, broker_counter, packet FROM outgoing WHERE client_id = ? ORDER BY seq',
      ),
      packetOf: db.prepare('SELECT broker_id, broker_counter, packet FROM outgoing WHERE seq = ?'),
      putIncoming: db.prepare(
        'INSERT OR REPLACE INTO incoming (client_id, message_id, packet) VALUES (?, ?, ?)',
      ),
      getIncoming: db.prepare('SELECT packet FROM incoming WHERE client_id = ? AND message_id = ?'),
      delIncoming: db.prepare('DELETE FROM incoming WHERE client_id = ? AND message_id = ?'),
      cleanIncoming: db.prepare('DELETE FROM incoming WHERE client_id = ?'),
      putWill: db.prepare('INSERT OR REPLACE INTO wills (client_id, broker_id, packet) VALUES (?, ?, ?)'),
      getWill: db.prepare('SELECT packet FROM wills WHERE client_id = ?'),
      delWill: db.prepare('DELETE FROM wills WHERE client_id = ?'),
      allWills: db.prepare('SELECT broker_id, packet FROM wills'),
      queued: db.prepare('SELECT COUNT(*) AS n FROM outgoing'),
      queuedFor: db.prepare('SELECT COUNT(*) AS n FROM outgoing WHERE client_id = ?'),
      seen: db.prepare(
        'INSERT INTO sessions (client_id, last_seen, connected) VALUES (?, ?, ?) ' +
          'ON CONFLICT (client_id) DO UPDATE SET last_seen = excluded.last_seen, connected = excluded.connected',
      ),
      idleSince: db.prepare('SELECT client_id FROM sessions WHERE last_seen < ? AND connected = 0'),
      delSession: db.prepare('DELETE FROM sessions WHERE client_id = ?'),
      delOutgoingOf: db.prepare('DELETE FROM outgoing WHERE client_id = ?'),
      sessionClients: db.prepare(
        'SELECT client_id FROM sessions UNION SELECT client_id FROM subscriptions UNION SELECT client_id FROM outgoing',
      ),
    };
    const now = (opts.now ?? Date.now)();
    // A hub killed while clients were connected never saw them go: they were there until it died,
    // so their idle time starts now. Sessions stored before this table existed start now as well.
    db.transaction(() => {
      db.prepare('UPDATE sessions SET connected = 0, last_seen = ? WHERE connected = 1').run(now);
      db.prepare(
        'INSERT OR IGNORE INTO sessions (client_id, last_seen, connected) ' +
          'SELECT client_id, ?, 0 FROM subscriptions UNION SELECT client_id, ?, 0 FROM outgoing',
      ).run(now, now);
    })();
    this.nextSeq = (this.q.maxSeq.get() as { n: number }).n + 1;
  }

  get broker(): { id: string } | undefined {
    return this._broker;
  }

  async setup(broker: { id: string }): Promise<void> {
    this._broker = broker;
    this.subs.clear();
    for (const row of this.q.allSubs.all() as { client_id: string; topic: string; sub: Buffer }[])
      this.remember(row.client_id, row.topic, deserialize(row.sub) as SubRecord);
  }

  /** Messages waiting in all sessions (for the fleet snapshot and the benchmark). */
  queuedCount(): number {
    this.flush();
    return (this.q.queued.get() as { n: number }).n;
  }

  /** Messages waiting for one client. */
  queuedFor(clientId: string): number {
    this.flush();
    return (this.q.queuedFor.get(clientId) as { n: number }).n;
  }

  // --- session ages (session-expiry.ts) ---

  /** A client connected (true) or went away (false) at `at`. */
  sessionSeen(clientId: string, connected: boolean, at: number): void {
    // The broker's last disconnect events can come after destroy() on close.
    if (this.destroyed) return;
    this.q.seen.run(clientId, at, connected ? 1 : 0);
  }

  /** Client ids not connected since before `before` (epoch ms). */
  idleSessions(before: number): string[] {
    return (this.q.idleSince.all(before) as { client_id: string }[]).map((r) => r.client_id);
  }

  /** Every client id the store holds anything for (a session row, subscriptions or queued messages). */
  sessionClients(): string[] {
    this.flush();
    return (this.q.sessionClients.all() as { client_id: string }[]).map((r) => r.client_id);
  }

  /**
   * Drops everything kept for a client: its subscriptions (so nothing more is queued for it), its
   * queued and in-flight messages, QoS 2 receive state, its will and its last-seen row. Its next
   * CONNECT finds no session (CONNACK sessionPresent = 0).
   */
  purgeSession(clientId: string): PurgedSession {
    const topics = [...(this.subs.get(clientId)?.keys() ?? [])];
    this.flush();
    this.aliases -= this.queues.get(clientId)?.rows.size ?? 0;
    this.queues.delete(clientId);
    let queued = 0;
    this.db.transaction(() => {
      for (const topic of topics) this.q.delSub.run(clientId, topic);
      queued = this.q.delOutgoingOf.run(clientId).changes;
      this.q.cleanIncoming.run(clientId);
      this.q.delWill.run(clientId);
      this.q.delSession.run(clientId);
    })();
    for (const topic of topics) this.forget(clientId, topic);
    return { clientId, subscriptions: topics.length, queued };
  }

  // --- retained ---

  /**
   * Written in the current batch (see flush): aedes stores a retained message after its PUBACK
   * anyway, so a commit one turn later promises nothing less. Reads of retained messages commit
   * the batch first.
   */
  async storeRetained(pkt: Packet): Promise<void> {
    const packet = { ...pkt };
    const payload = packet.payload as { length: number } | undefined;
    const topic = packet.topic as string;
    if (!payload || payload.length === 0) {
      this.write(() => this.q.delRetained.run(topic));
      this.retainedTopics?.delete(topic);
    } else {
      const blob = encode(packet);
      this.write(() => this.q.putRetained.run(topic, blob));
      this.retainedTopics?.add(topic);
    }
  }

  createRetainedStream(pattern: string): Readable {
    return this.createRetainedStreamCombi([pattern]);
  }

  createRetainedStreamCombi(patterns: string[]): Readable {
    this.flush();
    const out: Packet[] = [];
    for (const pattern of patterns) {
      if (!/[+#]/.test(pattern)) {
        // One exact topic (most subscriptions): a lookup in memory, SQLite only when it is there.
        this.retainedTopics ??= new Set(
          (this.q.retainedTopics.all() as Array<{ topic: string }>).map((r) => r.topic),
        );
        if (!this.retainedTopics.has(pattern)) continue;
        const row = this.q.retainedOne.get(pattern) as { packet: Buffer } | undefined;
        if (row) out.push(decode(row.packet));
        continue;
      }
      const prefix = literalPrefix(pattern);
      const rows = (prefix ? this.q.retainedFrom.iterate(prefix) : this.q.allRetained.iterate()) as Iterable<{
        topic: string;
        packet: Buffer;
      }>;
      for (const row of rows) {
        if (prefix && !row.topic.startsWith(prefix)) break;
        if (matches(pattern, row.topic)) out.push(decode(row.packet));
      }
    }
    return Readable.from(out);
  }

  // --- subscriptions ---

  async addSubscriptions(client: ClientRef, subs: Array<SubRecord & { topic: string }>): Promise<void> {
    const accept = this.opts.acceptSubscription;
    const tx = this.db.transaction(() => {
      for (const sub of subs) {
        if (accept && !accept(client.id, sub.topic)) continue;
        const record: SubRecord = { qos: sub.qos, rh: sub.rh, rap: sub.rap, nl: sub.nl } as SubRecord;
        if (sub.subscriptionIdentifier !== undefined)
          record.subscriptionIdentifier = sub.subscriptionIdentifier;
        // A device re-subscribes to the same topics on every connect (its session has them): a
        // site's reconnect after a hub restart need not rewrite thousands of identical rows.
        if (sameSub(this.subs.get(client.id)?.get(sub.topic), record)) continue;
        this.q.putSub.run(client.id, sub.topic, serialize(record));
        this.remember(client.id, sub.topic, record);
      }
    });
    tx();
  }

  async removeSubscriptions(client: ClientRef, topics: string[]): Promise<void> {
    const tx = this.db.transaction(() => {
      for (const topic of topics) {
        this.q.delSub.run(client.id, topic);
        this.forget(client.id, topic);
      }
    });
    tx();
  }

  async subscriptionsByClient(client: ClientRef): Promise<Array<SubRecord & { topic: string }>> {
    const stored = this.subs.get(client.id);
    if (!stored) return [];
    return [...stored].map(([topic, r]) => ({ topic, ...r }));
  }

  async countOffline(): Promise<{ subsCount: number; clientsCount: number }> {
    return { subsCount: this.index.size, clientsCount: this.subs.size };
  }

  async subscriptionsByTopic(topic: string): Promise<IndexedSub[]> {
    return this.index.match(topic);
  }

  async cleanSubscriptions(client: ClientRef): Promise<void> {
    const stored = this.subs.get(client.id);
    if (stored) await this.removeSubscriptions(client, [...stored.keys()]);
  }

  getClientList(topic: string): Readable {
    const ids: string[] = [];
    for (const [clientId, topics] of this.subs) if (topics.has(topic)) ids.push(clientId);
    return Readable.from(ids);
  }

  // --- outgoing (QoS > 0 to persistent sessions) ---

  /**
   * Commits the writes of the current batch in one transaction, then calls back whatever waited
   * for them. Runs once per turn of the event loop (setImmediate) and before every read of the
   * queue, so reads see every write made before them.
   */
  flush(): void {
    if (this.pending.length === 0 && this.afterCommit.length === 0) return;
    const ops = this.pending;
    const waiting = this.afterCommit;
    this.pending = [];
    this.afterCommit = [];
    let failure: Error | null = null;
    if (this.destroyed) failure = new Error('persistence closed');
    else if (ops.length > 0) {
      try {
        this.db.transaction(() => {
          for (const op of ops) op();
        })();
      } catch (e) {
        failure = e as Error;
      }
    }
    for (const cb of waiting) cb(failure);
  }

  private write(op: () => void): void {
    this.pending.push(op);
    this.schedule();
  }

  private schedule(): void {
    this.endOfTurn.request();
  }

  private queueOf(clientId: string): ClientQueue {
    let q = this.queues.get(clientId);
    if (!q) {
      q = { rows: new Map(), aliasOf: new Map(), inflight: new Map(), idOf: new Map() };
      this.queues.set(clientId, q);
    }
    return q;
  }

  /** Queues a new row for a client (in the current batch); returns its id. */
  private insert(
    clientId: string,
    brokerId: string | null,
    brokerCounter: number | null,
    blob: Buffer,
  ): number {
    const seq = this.nextSeq++;
    this.write(() => this.q.enqueue.run(seq, clientId, brokerId, brokerCounter, blob));
    return seq;
  }

  /**
   * aedes's identity of a message (broker id + counter) now names this row: in memory, or written
   * to the row when the client already has many (a backlog for a session that is away).
   */
  private alias(clientId: string, brokerId: unknown, brokerCounter: unknown, seq: number): void {
    const q = this.queueOf(clientId);
    const key = identity(brokerId, brokerCounter);
    if (q.rows.get(key) === seq) return;
    if (q.rows.size < MAX_ALIASES_PER_CLIENT && this.aliases < MAX_ALIASES) {
      if (!q.rows.has(key)) this.aliases++;
      q.rows.set(key, seq);
      const keys = q.aliasOf.get(seq);
      if (keys) keys.push(key);
      else q.aliasOf.set(seq, [key]);
    } else {
      this.write(() => this.q.alias.run(brokerId ?? null, brokerCounter ?? null, seq));
    }
  }

  /** The row aedes's identity names, from memory, else from disk. */
  private rowOf(clientId: string, brokerId: unknown, brokerCounter: unknown): number | undefined {
    const seq = this.queues.get(clientId)?.rows.get(identity(brokerId, brokerCounter));
    if (seq !== undefined) return seq;
    this.flush();
    const row = this.q.seqByCounter.get(clientId, brokerId ?? null, brokerCounter ?? 0) as
      | { seq: number }
      | undefined;
    return row?.seq;
  }

  /** The row is gone (delivered and acknowledged, or dropped): forget what memory knew of it. */
  private forgetRow(clientId: string, seq: number): void {
    const q = this.queues.get(clientId);
    if (!q) return;
    for (const key of q.aliasOf.get(seq) ?? [])
      if (q.rows.get(key) === seq) {
        q.rows.delete(key);
        this.aliases--;
      }
    q.aliasOf.delete(seq);
    const id = q.idOf.get(seq);
    if (id !== undefined) {
      q.idOf.delete(seq);
      if (q.inflight.get(id)?.seq === seq) q.inflight.delete(id);
    }
    if (q.rows.size === 0 && q.inflight.size === 0) this.queues.delete(clientId);
  }

  async outgoingEnqueue(sub: { clientId: string }, packet: Packet): Promise<void> {
    const p = queuedPacket(packet);
    const seq = this.insert(sub.clientId, p.brokerId ?? null, p.brokerCounter ?? null, encode(p));
    this.alias(sub.clientId, p.brokerId, p.brokerCounter, seq);
  }

  async outgoingEnqueueCombi(subs: Array<{ clientId: string }>, packet: Packet): Promise<void> {
    const payload = packet.payload;
    const early = typeof payload === 'object' && payload !== null ? this.early.get(payload) : undefined;
    if (early) this.early.delete(payload as object);
    if ((!subs || subs.length === 0) && !early) return;
    const p = queuedPacket(packet);
    let blob: Buffer | undefined;
    // The rows stored before the PUBACK hold this message already: aedes's copy becomes an alias
    // of them. A session that subscribed in between gets a row of its own; a row of a session no
    // longer subscribed goes (in the same batch: a kill leaves at most one copy per session).
    // By client (a list each, in case a client's rows were stored twice): a message from a client
    // to every gate has a row per gate, and pairing them by a scan of the list was subs × rows.
    const left = new Map<string, number[]>();
    for (const e of early ?? []) {
      const seqs = left.get(e.clientId);
      if (seqs) seqs.push(e.seq);
      else left.set(e.clientId, [e.seq]);
    }
    for (const s of subs ?? []) {
      const seqs = left.get(s.clientId);
      const seq = seqs?.shift();
      if (seq !== undefined) {
        if (seqs?.length === 0) left.delete(s.clientId);
        this.alias(s.clientId, p.brokerId, p.brokerCounter, seq);
        continue;
      }
      blob ??= encode(p);
      const row = this.insert(s.clientId, p.brokerId ?? null, p.brokerCounter ?? null, blob);
      this.alias(s.clientId, p.brokerId, p.brokerCounter, row);
    }
    for (const [clientId, seqs] of left)
      for (const seq of seqs) {
        this.write(() => this.q.delOutgoing.run(seq));
        this.forgetRow(clientId, seq);
      }
  }

  /**
   * Queues a QoS 1 message for every persistent session subscribed to its topic, before the broker
   * acknowledges it. aedes 1.x writes the PUBACK first and stores the message on a later turn of
   * the event loop, so a hub killed in between had acknowledged a message it never stored: the
   * sender forgot it and no subscriber ever got it. These rows hold the message from then on
   * (aedes's own copy becomes an alias of them, outgoingEnqueueCombi); after a kill they are
   * delivered like any queued message. `done` is called once they are committed (in this turn's
   * batch, with the other messages of the turn), or at once when no persistent session wants the
   * message. Called from the authorizePublish hook (store-before-ack.ts). Retained copies are not
   * stored here (their owners publish them again on every connect).
   */
  storeBeforeAck(packet: Packet, done: (err: Error | null) => void): void {
    const payload = packet.payload;
    const topic = packet.topic;
    const subs =
      typeof payload !== 'object' || payload === null || !topic || topic.startsWith('$')
        ? []
        : this.index.match(topic);
    if (subs.length === 0) {
      done(null);
      return;
    }
    const p = queuedPacket(packet);
    // Its own broker id: aedes counts its copies under the broker's id, these must not collide.
    p.brokerId = `${this._broker?.id ?? 'hub'}:before-ack`;
    p.brokerCounter = ++this.earlyCounter;
    const blob = encode(p);
    const rows = this.early.get(payload as object) ?? [];
    for (const s of subs)
      rows.push({ clientId: s.clientId, seq: this.insert(s.clientId, p.brokerId, p.brokerCounter, blob) });
    this.early.set(payload as object, rows);
    this.afterCommit.push(done);
  }

  /**
   * A queued packet got its packet id (delivery), or was replaced by its PUBREL (QoS 2). Matched by
   * broker id + counter when the packet has them, by packet id otherwise. A QoS 1 packet id is
   * kept in memory only (see the top of the file).
   */
  async outgoingUpdate(client: ClientRef, packet: Packet): Promise<void> {
    if (packet.brokerId) {
      const seq = this.rowOf(client.id, packet.brokerId, packet.brokerCounter ?? 0);
      if (seq === undefined) throw new Error('no such packet');
      const messageId = packet.messageId;
      if (packet.qos === 1 && messageId !== undefined) {
        const q = this.queueOf(client.id);
        // A packet id names one in-flight packet per client: an older holder of the same id is stale.
        const holder = q.inflight.get(messageId);
        if (holder && holder.seq !== seq) q.idOf.delete(holder.seq);
        const previous = q.idOf.get(seq);
        if (previous !== undefined && previous !== messageId) q.inflight.delete(previous);
        const stored = queuedPacket(packet);
        stored.messageId = messageId;
        q.inflight.set(messageId, { seq, packet: stored });
        q.idOf.set(seq, messageId);
        return;
      }
      this.flush();
      const row = this.q.packetOf.get(seq) as { packet: Buffer } | undefined;
      if (!row) throw new Error('no such packet');
      const stored = decode(row.packet);
      stored.messageId = messageId;
      this.q.releaseMessage.run(client.id, messageId ?? null, seq);
      this.q.setMessage.run(messageId ?? null, encode(stored), seq);
      return;
    }
    this.flush();
    const row = this.q.byMessage.get(client.id, packet.messageId ?? null) as
      | { seq: number; packet: Buffer }
      | undefined;
    if (!row) throw new Error('no such packet');
    this.q.replace.run(packet.messageId ?? null, encode(packet), row.seq);
  }

  async outgoingClearMessageId(client: ClientRef, packet: Packet): Promise<Packet | undefined> {
    // A closed client acknowledges nothing (aedes stops reading its packets when it closes). aedes
    // also calls this for a message it decides not to send, and while it replays a session's queue
    // on connect (emptyQueue) a client whose connection dropped is one of those: the guard has
    // forgotten its session, authorizeForward says no, and every message left in the replay was
    // deleted here, never delivered (test/hub/queue-replay.test.ts; found by qos1-hub-kill.test.ts,
    // about one round in a hundred). The rows stay for the session's next connect.
    if (client.closed === true) return undefined;
    const messageId = packet.messageId;
    const inMemory =
      messageId === undefined ? undefined : this.queues.get(client.id)?.inflight.get(messageId);
    if (inMemory) {
      // Acknowledged: the row goes in the next batch. A kill before it commits sends it again.
      this.write(() => this.q.delOutgoing.run(inMemory.seq));
      this.forgetRow(client.id, inMemory.seq);
      return inMemory.packet;
    }
    this.flush();
    const row = this.q.byMessage.get(client.id, messageId ?? null) as
      | { seq: number; packet: Buffer }
      | undefined;
    if (!row) return undefined;
    this.q.delOutgoing.run(row.seq);
    this.forgetRow(client.id, row.seq);
    return decode(row.packet);
  }

  outgoingStream(client: ClientRef): Readable {
    // A snapshot, like the in-memory persistence: packets enqueued while streaming come next time.
    this.flush();
    const rows = this.q.outgoingOf.all(client.id) as {
      seq: number;
      broker_id: string | null;
      broker_counter: number | null;
      packet: Buffer;
    }[];
    const q = this.queues.get(client.id);
    const packets = rows.map((r) => {
      const p = decode(r.packet);
      // The row's columns name it (an alias written to disk replaces the identity in the blob).
      if (r.broker_id !== null) {
        p.brokerId = r.broker_id;
        p.brokerCounter = r.broker_counter ?? 0;
      }
      const id = q?.idOf.get(r.seq);
      if (id !== undefined) p.messageId = id;
      if (p.brokerId) this.alias(client.id, p.brokerId, p.brokerCounter, r.seq);
      return p;
    });
    return Readable.from(packets);
  }

  // --- incoming (QoS 2 receive state) ---

  async incomingStorePacket(client: ClientRef, packet: Packet): Promise<void> {
    const p = queuedPacket(packet);
    p.messageId = packet.messageId;
    this.q.putIncoming.run(client.id, packet.messageId, encode(p));
  }

  async incomingGetPacket(client: ClientRef, packet: Packet): Promise<Packet> {
    const row = this.q.getIncoming.get(client.id, packet.messageId) as { packet: Buffer } | undefined;
    if (!row) throw new Error('no such packet');
    return decode(row.packet);
  }

  async incomingDelPacket(client: ClientRef, packet: Packet): Promise<void> {
    const r = this.q.delIncoming.run(client.id, packet.messageId);
    if (r.changes === 0) throw new Error('no such packet');
  }

  async cleanIncoming(client: ClientRef): Promise<void> {
    this.q.cleanIncoming.run(client.id);
  }

  // --- wills ---

  async putWill(client: ClientRef, packet: Packet): Promise<void> {
    packet.brokerId = this._broker?.id;
    packet.clientId = client.id;
    this.q.putWill.run(client.id, packet.brokerId ?? null, encode(packet));
  }

  async getWill(client: ClientRef): Promise<Packet | undefined> {
    const row = this.q.getWill.get(client.id) as { packet: Buffer } | undefined;
    return row ? decode(row.packet) : undefined;
  }

  async delWill(client: ClientRef): Promise<Packet | undefined> {
    const row = this.q.getWill.get(client.id) as { packet: Buffer } | undefined;
    if (!row) return undefined;
    this.q.delWill.run(client.id);
    return decode(row.packet);
  }

  /** Wills of clients whose broker is not among the live ones (a previous run of this hub). */
  streamWill(brokers: Record<string, unknown> = {}): Readable {
    const rows = this.q.allWills.all() as { broker_id: string | null; packet: Buffer }[];
    return Readable.from(
      rows.filter((r) => !r.broker_id || !brokers[r.broker_id]).map((r) => decode(r.packet)),
    );
  }

  async destroy(): Promise<void> {
    if (this.destroyed) throw new Error('destroyed called twice!');
    this.flush();
    this.destroyed = true;
    await this.checkpointer?.stop();
    this.db.close();
  }

  private remember(clientId: string, topic: string, record: SubRecord): void {
    let stored = this.subs.get(clientId);
    if (!stored) {
      stored = new Map();
      this.subs.set(clientId, stored);
    }
    const before = stored.get(topic);
    if (record.qos > 0)
      this.index.add({ clientId, topic, qos: record.qos, rh: record.rh, rap: record.rap, nl: record.nl });
    else if (before && before.qos > 0) this.index.remove(clientId, topic);
    stored.set(topic, record);
  }

  private forget(clientId: string, topic: string): void {
    const stored = this.subs.get(clientId);
    const before = stored?.get(topic);
    if (!stored || !before) return;
    if (before.qos > 0) this.index.remove(clientId, topic);
    stored.delete(topic);
    if (stored.size === 0) this.subs.delete(clientId);
  }
}

function sameSub(a: SubRecord | undefined, b: SubRecord): boolean {
  return (
    a !== undefined &&
    a.qos === b.qos &&
    a.rh === b.rh &&
    a.rap === b.rap &&
    a.nl === b.nl &&
    a.subscriptionIdentifier === b.subscriptionIdentifier
  );
}

function matches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter[0] === '+' || filter[0] === '#')) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}
