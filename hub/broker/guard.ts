/**
 * The broker's security hooks: who may connect (per-device credentials, client id bound to the
 * device), what each may publish and subscribe (acl.ts), how large and how fast.
 *
 * Rate limit: a token bucket per client id. Over the burst a client's publishes are *held*, not
 * refused: aedes reads no further packets from a connection while one is being authorized, so
 * holding the callback pushes back on that one TCP connection and nobody else. A client that is
 * more than `maxThrottleDelayMs` behind its rate is disconnected (MQTT 3.1.1 has no other way to
 * say no) and refused reconnection for `cooldownMs`. QoS 1 messages held or refused this way are
 * not lost: the client has no PUBACK and sends them again.
 *
 * Every refusal is logged with a stable code and counted per client (client-stats.ts).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { describeIssues } from '../../protocols/parse.ts';
import type { AedesPublishPacket, Client, ConnectPacket, PublishPacket, Subscription } from 'aedes';
import type { DeviceCredential } from '../../protocols/hub/credentials.ts';
import {
  canPublish,
  canReceive,
  canSubscribe,
  clientIdAllowed,
  rulesFor,
  type TopicRules,
} from '../auth/acl.ts';
import type { CredentialsStore } from '../auth/credentials.ts';
import { GENERATED_SCRYPT, hashPassword, verifyPassword } from '../auth/password.ts';
import type { Limits } from '../config/schema.ts';
import { Refusal } from '../errors.ts';
import type { Logger } from '../log.ts';
import { ClientStats } from './client-stats.ts';
import { AuthThrottle } from '../../kernel/auth-throttle.ts';
import { TokenBucket } from '../../kernel/token-bucket.ts';

export interface Session {
  cred: DeviceCredential;
  rules: TopicRules;
  connectedAt: number;
  /** topic → may this client publish / receive it, by `rules` (which never change for a session). */
  mayPublish: Map<string, boolean>;
  mayReceive: Map<string, boolean>;
}

/**
 * A device meets few topics again and again (a gate: its own dozen; the dashboard: a few per gate),
 * and each check walks its rules: remembered per session, forgotten all at once past this many.
 * Checking every delivery cost 9 % of the hub's longest turns at 1,000 gates, where one holds change
 * goes to every gate (bench/NOTES.md § Scale, fifth round).
 */
const MEMO_TOPICS = 8192;

function memo(m: Map<string, boolean>, topic: string, decide: () => boolean): boolean {
  let v = m.get(topic);
  if (v === undefined) {
    if (m.size >= MEMO_TOPICS) m.clear();
    v = decide();
    m.set(topic, v);
  }
  return v;
}

export interface GuardOptions {
  siteId: string;
  credentials: CredentialsStore;
  limits: Limits;
  log: Logger;
  now?: () => number;
  /** How many clients are connected now (the broker's count). */
  connectedClients: () => number;
  /**
   * Where the (device, address) pairs that logged in are kept across restarts (the hub's data
   * folder): after a power cut a site's devices skip the login concurrency caps as they did before.
   */
  knownPairsPath?: string;
  /** The password check (scrypt); tests count its calls. */
  verify?: (password: Buffer, secret: DeviceCredential['secret']) => Promise<boolean>;
  /** Waits without work (a known-wrong password is answered after a check's time); tests stub it. */
  sleep?: (ms: number) => Promise<void>;
}

const KnownPairs = z.object({
  v: z.literal(1),
  pairs: z.array(z.object({ account: z.string(), address: z.string(), at: z.number() })),
});

type ConnackCode = 2 | 3 | 4 | 5;

/**
 * A throttled attempt from an address that failed recently (reasons 'address' and 'account') is
 * answered after its retry-after, at most this long: a stranger that reconnects the moment it is
 * refused then asks about once a second instead of as fast as the hub can answer (150 addresses
 * kept the hub's event loop busy answering 2,700 refusals a second). A timer: no work meanwhile.
 */
const THROTTLED_ANSWER_DELAY_MS = 1000;
/**
 * A clean address refused only because the account's or the hub's checks are all taken
 * ('account-busy', 'busy') may be the device itself: its answer waits less, about a device's
 * reconnect period, so a stranger's clean addresses cannot spin on it either.
 */
const BUSY_ANSWER_DELAY_MS = 250;
/** At most this many such answers are held at once (each holds a socket); the rest go at once. */
const MAX_HELD_ANSWERS = 256;
type AuthDone = (error: (Error & { returnCode: ConnackCode }) | null, success: boolean | null) => void;

export class BrokerGuard {
  readonly stats = new ClientStats();
  private readonly sessions = new Map<Client, Session>();
  private readonly wills = new WeakMap<Client, ConnectPacket['will']>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly cooldowns = new Map<string, number>();
  private readonly authThrottle: AuthThrottle;
  /**
   * HMAC of the password that verified, per device and secret, and how long that check took:
   * reconnects skip scrypt, and so does a wrong guess for that device (see authenticate).
   */
  private readonly verified = new Map<string, { digest: Buffer; checkMs: number }>();
  private readonly verify: NonNullable<GuardOptions['verify']>;
  private readonly sleep: NonNullable<GuardOptions['sleep']>;
  private readonly cacheKey = randomBytes(32);
  private dummySecret: Promise<DeviceCredential['secret']>;
  private savedPairsVersion = 0;
  private heldAnswers = 0;
  private readonly now: () => number;

  constructor(private readonly o: GuardOptions) {
    this.now = o.now ?? Date.now;
    this.verify = o.verify ?? verifyPassword;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.authThrottle = new AuthThrottle({
      failuresPerAddressPerMinute: o.limits.authFailuresPerMinute,
      failuresPerAccountPerMinute: o.limits.authFailuresPerAccountPerMinute,
      maxConcurrentPerAccount: o.limits.authConcurrentPerAccount,
      maxConcurrent: o.limits.authConcurrentTotal,
    });
    // Unknown usernames are checked against this, so they cost as long as a wrong password for a
    // device whose password was generated (the usual case: hub/auth/password.ts GENERATED_SCRYPT).
    this.dummySecret = hashPassword(randomBytes(16).toString('hex'), GENERATED_SCRYPT);
    this.restoreKnownPairs();
  }

  private restoreKnownPairs(): void {
    const path = this.o.knownPairsPath;
    if (!path) return;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return;
    }
    try {
      const r = KnownPairs.safeParse(JSON.parse(text));
      if (!r.success) throw new Error(describeIssues(r.error.issues));
      this.authThrottle.restoreKnownPairs(r.data.pairs, this.now());
    } catch (e) {
      // Only a convenience: without it the devices log in as after a first start.
      this.o.log.warn({ path, err: (e as Error).message }, 'known login addresses not restored');
    }
    this.savedPairsVersion = this.authThrottle.knownPairsVersion;
  }

  /** Writes the known pairs when they changed (from sweep, every second or so). */
  private saveKnownPairs(): void {
    const path = this.o.knownPairsPath;
    if (!path || this.authThrottle.knownPairsVersion === this.savedPairsVersion) return;
    this.savedPairsVersion = this.authThrottle.knownPairsVersion;
    try {
      const tmp = `${path}.tmp`;
      writeFileSync(tmp, JSON.stringify({ v: 1, pairs: this.authThrottle.knownPairList() }), { mode: 0o600 });
      renameSync(tmp, path);
    } catch (e) {
      this.o.log.warn({ path, err: (e as Error).message }, 'known login addresses not saved');
    }
  }

  /** Hooks in the shape Aedes.createBroker wants. */
  hooks() {
    return {
      preConnect: (client: Client, packet: ConnectPacket, cb: (e: Error | null, ok: boolean) => void) => {
        this.wills.set(client, packet.will);
        cb(null, true);
      },
      authenticate: (
        client: Client,
        username: string | undefined,
        password: Buffer | undefined,
        done: AuthDone,
      ) => {
        this.authenticate(client, username, password).then(
          (r) => (r === true ? done(null, true) : done(r, false)),
          (err) => {
            this.o.log.error({ err: (err as Error).message }, 'authentication failed unexpectedly');
            done(Object.assign(new Error('server unavailable'), { returnCode: 3 as const }), false);
          },
        );
      },
      authorizePublish: (client: Client | null, packet: PublishPacket, cb: (e?: Error | null) => void) =>
        this.authorizePublish(client, packet, cb),
      authorizeSubscribe: (
        client: Client,
        sub: Subscription,
        cb: (e: Error | null, s?: Subscription | null) => void,
      ) => this.authorizeSubscribe(client, sub, cb),
      authorizeForward: (client: Client, packet: AedesPublishPacket) => this.authorizeForward(client, packet),
    };
  }

  session(client: Client): Session | undefined {
    return this.sessions.get(client);
  }

  connectedSessions(): Array<[Client, Session]> {
    return [...this.sessions];
  }

  /** Called on the broker's clientDisconnect. */
  forget(client: Client): void {
    this.sessions.delete(client);
  }

  /** Can a stored subscription stay stored? (the persistence asks; see sqlite-persistence.ts) */
  subscriptionAllowed(clientId: string, topic: string): boolean {
    const cred = this.o.credentials.byClientId(clientId);
    return !!cred && canSubscribe(rulesFor(cred), topic);
  }

  /** Disconnects clients whose credentials were revoked or removed; returns their client ids. */
  kickRevoked(): string[] {
    const kicked: string[] = [];
    for (const [client, s] of this.sessions) {
      const now = this.o.credentials.get(s.cred.id);
      if (now && now.revokedAt === null && now.secret.hash === s.cred.secret.hash) continue;
      this.o.log.warn({ clientId: client.id, username: s.cred.id }, 'credentials revoked: disconnecting');
      kicked.push(client.id);
      this.sessions.delete(client);
      client.close();
    }
    return kicked;
  }

  /** Periodic cleanup of limiter state. */
  sweep(): void {
    const now = this.now();
    this.authThrottle.sweep(now);
    this.saveKnownPairs();
    for (const [id, until] of this.cooldowns) if (until <= now) this.cooldowns.delete(id);
    const live = new Set([...this.sessions.keys()].map((c) => c.id));
    for (const [id, b] of this.buckets) if (!live.has(id) && b.full(now)) this.buckets.delete(id);
  }

  private async authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<true | (Error & { returnCode: ConnackCode })> {
    const now = this.now();
    const clientId = client.id;
    const remote = remoteAddress(client);
    const refuse = (returnCode: ConnackCode, code: Refusal, detail: string) => {
      const c = this.stats.refused(clientId, code, null, now);
      if (code === Refusal.AUTH || code === Refusal.AUTH_THROTTLED) {
        c.authFailures++;
        this.stats.totals.authFailures++;
      }
      this.o.log.warn({ code, clientId, username, remote, detail }, 'connection refused');
      return Object.assign(new Error(`${code}: ${detail}`), { returnCode });
    };

    if (this.o.connectedClients() >= this.o.limits.maxConnections)
      return refuse(3, Refusal.TOO_MANY_CONNECTIONS, `${this.o.limits.maxConnections} clients connected`);
    const cooldown = this.cooldowns.get(clientId);
    if (cooldown !== undefined && cooldown > now)
      return refuse(3, Refusal.COOLDOWN, `rate limit cooldown, ${cooldown - now} ms left`);
    if (!username || !password) return refuse(5, Refusal.AUTH, 'no username or password');

    const cred = this.o.credentials.get(username);
    // A password this device logged in with before is recognised by an HMAC, no scrypt: the real
    // device reconnecting is never throttled, whatever strangers are doing to its username. Only
    // the right password can match, so this is no way around the budgets for a guesser.
    const remembered = cred !== undefined ? this.verified.get(this.cacheKeyOf(cred)) : undefined;
    let ok = remembered !== undefined && timingSafeEqual(remembered.digest, this.digest(password));
    if (!ok) {
      // Counted before the expensive check (see auth-throttle.ts); a throttled attempt is told
      // "server unavailable" (CONNACK 3: MQTT 3.1.1 has no "quota exceeded"; aedes speaks only
      // 3.1/3.1.1), never "not authorized", so a device does not take it for a revoked password.
      const admission = this.authThrottle.admit(username, remote, now);
      if (!admission.ok) {
        const refusal = refuse(
          3,
          Refusal.AUTH_THROTTLED,
          `too many login attempts (${admission.reason}), retry in ${Math.ceil(admission.retryAfterMs / 1000)} s`,
        );
        const dirty = admission.reason === 'address' || admission.reason === 'account';
        if (this.heldAnswers < MAX_HELD_ANSWERS) {
          this.heldAnswers++;
          try {
            await this.sleep(
              Math.min(admission.retryAfterMs, dirty ? THROTTLED_ANSWER_DELAY_MS : BUSY_ANSWER_DELAY_MS),
            );
          } finally {
            this.heldAnswers--;
          }
        }
        return refusal;
      }
      try {
        // With the device's password remembered, any other password is wrong: scrypt could only
        // say so again, at ~50 ms of a core per guess (a login burst kept two cores busy). The
        // guess is still admitted and charged as before, and answered after the time the real
        // check took (a timer, no work), so neither the budgets nor the timing tell it apart.
        ok = remembered
          ? await this.sleep(remembered.checkMs).then(() => false)
          : await this.checkPassword(cred, password);
      } finally {
        admission.done(ok && cred !== undefined && cred.revokedAt === null, this.now());
      }
    }
    if (!cred || !ok || cred.revokedAt !== null) {
      return refuse(
        5,
        Refusal.AUTH,
        !cred ? 'unknown device' : cred.revokedAt !== null ? 'revoked' : 'wrong password',
      );
    }
    if (cred.site !== undefined && cred.site !== this.o.siteId)
      return refuse(5, Refusal.AUTH, `device belongs to site ${cred.site}, this hub serves ${this.o.siteId}`);
    // The client id must be this device's, and no other device's own id or bound id ('dash-2' is
    // the device dash-2's even though it also has dashboard dash's prefix).
    const owner = this.o.credentials.byClientId(clientId);
    if (!clientIdAllowed(cred, clientId) || (owner !== undefined && owner.id !== cred.id))
      return refuse(2, Refusal.CLIENT_ID, `client id ${clientId} is not one of ${cred.id}'s`);
    const rules = rulesFor(cred);
    const will = this.wills.get(client);
    if (will) {
      if (!canPublish(rules, will.topic))
        return refuse(5, Refusal.PUBLISH_ACL, `will on ${will.topic} not allowed`);
      if (payloadSize(will.payload) > this.o.limits.maxPayloadBytes)
        return refuse(5, Refusal.PAYLOAD_TOO_LARGE, 'will payload too large');
    }
    this.sessions.set(client, {
      cred,
      rules,
      connectedAt: now,
      mayPublish: new Map(),
      mayReceive: new Map(),
    });
    const c = this.stats.of(clientId);
    c.username = cred.id;
    c.role = cred.role;
    c.connects++;
    this.o.log.info({ clientId, username, role: cred.role, remote }, 'client connected');
    return true;
  }

  private async checkPassword(cred: DeviceCredential | undefined, password: Buffer): Promise<boolean> {
    if (!cred) {
      await this.verify(password, await this.dummySecret);
      return false;
    }
    const t0 = performance.now();
    const ok = await this.verify(password, cred.secret);
    if (ok)
      this.verified.set(this.cacheKeyOf(cred), {
        digest: this.digest(password),
        // Bounded: a check slowed by a busy machine must not hold a login slot for long.
        checkMs: Math.min(1000, Math.round(performance.now() - t0)),
      });
    return ok;
  }

  private cacheKeyOf(cred: DeviceCredential): string {
    return `${cred.id}:${cred.secret.hash}`;
  }

  private digest(password: Buffer): Buffer {
    return createHmac('sha256', this.cacheKey).update(password).digest();
  }

  private authorizePublish(
    client: Client | null,
    packet: PublishPacket,
    cb: (e?: Error | null) => void,
  ): void {
    const now = this.now();
    if (!client) {
      // A will left by a client of a previous run of the hub, published now that it is known dead.
      const clientId = (packet as { clientId?: string }).clientId ?? '';
      const cred = this.o.credentials.byClientId(clientId);
      if (cred && canPublish(rulesFor(cred), packet.topic)) {
        cb(null);
        return;
      }
      this.o.log.warn({ code: Refusal.PUBLISH_ACL, clientId, topic: packet.topic }, 'stale will refused');
      cb(new Error(Refusal.PUBLISH_ACL));
      return;
    }
    const s = this.sessions.get(client);
    const clientId = client.id;
    if (!s) {
      cb(new Error(Refusal.PUBLISH_ACL));
      return;
    }
    const size = payloadSize(packet.payload);
    if (size > this.o.limits.maxPayloadBytes) {
      const c = this.stats.refused(clientId, Refusal.PAYLOAD_TOO_LARGE, packet.topic, now);
      c.oversized++;
      this.stats.totals.oversized++;
      this.o.log.warn(
        {
          code: Refusal.PAYLOAD_TOO_LARGE,
          clientId,
          topic: packet.topic,
          size,
          max: this.o.limits.maxPayloadBytes,
        },
        'publish refused: payload too large, disconnecting',
      );
      cb(new Error(Refusal.PAYLOAD_TOO_LARGE));
      return;
    }
    if (!memo(s.mayPublish, packet.topic, () => canPublish(s.rules, packet.topic))) {
      const c = this.stats.refused(clientId, Refusal.PUBLISH_ACL, packet.topic, now);
      c.refusedPublishes++;
      this.stats.totals.refusedPublishes++;
      this.o.log.warn(
        { code: Refusal.PUBLISH_ACL, clientId, username: s.cred.id, topic: packet.topic },
        'publish refused: not allowed, disconnecting',
      );
      cb(new Error(Refusal.PUBLISH_ACL));
      return;
    }
    // The will is the broker speaking for a client that is gone; it is never held back.
    if (packet === (client as unknown as { will?: unknown }).will || s.cred.role === 'service') {
      this.accepted(clientId, cb);
      return;
    }
    let bucket = this.buckets.get(clientId);
    if (!bucket) {
      const l = this.o.limits;
      bucket =
        s.cred.role === 'dashboard'
          ? new TokenBucket(l.dashboardPublishRatePerSec, l.dashboardPublishBurst, now)
          : new TokenBucket(l.publishRatePerSec, l.publishBurst, now);
      this.buckets.set(clientId, bucket);
    }
    // Over maxThrottleDelayMs nothing is taken (the client is cut off instead), so the bucket owes
    // at most that much.
    const delay = bucket.take(now, this.o.limits.maxThrottleDelayMs);
    if (delay === 0) {
      this.accepted(clientId, cb);
      return;
    }
    const c = this.stats.of(clientId);
    if (delay > this.o.limits.maxThrottleDelayMs) {
      c.rateDisconnects++;
      this.stats.totals.rateDisconnects++;
      this.stats.refused(clientId, Refusal.RATE_LIMIT, packet.topic, now);
      this.cooldowns.set(clientId, now + this.o.limits.cooldownMs);
      this.o.log.warn(
        { code: Refusal.RATE_LIMIT, clientId, delayMs: delay, cooldownMs: this.o.limits.cooldownMs },
        'publish rate far over the limit: disconnecting',
      );
      cb(new Error(Refusal.RATE_LIMIT));
      return;
    }
    c.throttled++;
    this.stats.totals.throttled++;
    setTimeout(() => this.accepted(clientId, cb), delay).unref();
  }

  private accepted(clientId: string, cb: (e?: Error | null) => void): void {
    this.stats.of(clientId).published++;
    cb(null);
  }

  private authorizeSubscribe(
    client: Client,
    sub: Subscription,
    cb: (e: Error | null, s?: Subscription | null) => void,
  ): void {
    const s = this.sessions.get(client);
    if (s && canSubscribe(s.rules, sub.topic)) {
      cb(null, sub);
      return;
    }
    const c = this.stats.refused(client.id, Refusal.SUBSCRIBE_ACL, sub.topic, this.now());
    c.refusedSubscribes++;
    this.stats.totals.refusedSubscribes++;
    this.o.log.warn(
      { code: Refusal.SUBSCRIBE_ACL, clientId: client.id, username: s?.cred.id, topic: sub.topic },
      'subscribe refused',
    );
    // null = failure return code 0x80 in the SUBACK; the connection stays up.
    cb(null, null);
  }

  /** Defence in depth: nothing reaches a client that its role may not read, queued messages included. */
  private authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    const s = this.sessions.get(client);
    return s && memo(s.mayReceive, packet.topic, () => canReceive(s.rules, packet.topic)) ? packet : null;
  }
}

function payloadSize(p: unknown): number {
  if (p === undefined || p === null) return 0;
  if (typeof p === 'string') return Buffer.byteLength(p);
  return (p as { length: number }).length ?? 0;
}

function remoteAddress(client: Client): string {
  const conn = client.conn as { remoteAddress?: string; socket?: { remoteAddress?: string } };
  return conn.remoteAddress ?? conn.socket?.remoteAddress ?? 'unknown';
}
