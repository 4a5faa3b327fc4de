/**
 * Keeps an ISAPI terminal's person list in line with HR's access list (issue 19, devices.md §5;
 * the UserInfo calls are described in protocols/hik-isapi/users.ts), so that a person HR removed
 * is no longer recognised at the terminal and a visitor is recognised only within their period.
 *
 * - A pass: read the terminal's whole list (paged `UserInfo/Search`), compare it with the gate's
 *   copy of the access list (person-plan.ts), then delete, modify and record in batches of
 *   `batchSize` (deletions first: a removed person loses recognition before anything else).
 * - Passes run at start, on every new access-list version, when the terminal comes back
 *   (`kick()` from the driver) and every `resyncIntervalMs`. A list change during a pass ends it
 *   after the current batch and starts a fresh one.
 * - Nothing is changed on the terminal before the gate holds an access list (`waiting`): a gate
 *   fresh out of the box must not wipe a terminal.
 * - A terminal that cannot be reached, refuses our credentials or answers nonsense ends the pass;
 *   a write it refuses (statusCode ≠ 1) is logged with its statusCode/subStatusCode and the pass
 *   goes on with the others. Either way another pass follows after an exponential backoff on the
 *   injected clock, and the status (gate status → fleet view) says what is pending and why. A
 *   terminal out of line for `alertAfterMs` raises the `terminal-person-sync` alert (cleared when
 *   a pass succeeds).
 * - Safety does not depend on this: decide() refuses anyone not on the gate's own list whatever
 *   the terminal still recognises.
 *
 * It has its own HTTP client (own connection, own Digest nonce): a long pass never holds up a
 * verdict's `PUT remoteCheck`, which has the terminal's 3 s to land. Requests are one at a time.
 */
import type { AccessEntry } from '../../../protocols/gate/access-list.ts';
import type { PersonSyncStatus } from '../../../protocols/gate/messages.ts';
import {
  encodeUserInfo,
  encodeUserInfoDelete,
  encodeUserInfoSearch,
  type IsapiUser,
  parseResponseStatus,
  parseUserInfoSearchPage,
  SUB_EMPLOYEE_EXISTS,
  UserInfoPath,
} from '../../../protocols/hik-isapi/index.ts';
import { backoffDelay } from '../../backoff.ts';
import type { Clock, Timer } from '../../clock.ts';
import type { PersonSyncConfig } from '../../config/schema.ts';
import type { Lang } from '../../core/texts.ts';
import type { Logger } from '../../log.ts';
import { GateAlerts } from '../../core/gate-alerts.ts';
import type { HikIsapiTerminalConfig } from '../../config/schema.ts';
import type { TerminalContext } from '../types.ts';
import { IsapiClientError, IsapiHttpClient, type Response } from './http-client.ts';
import { type PersonPlan, planPersonSync, planSize, terminalPerson } from './person-plan.ts';

/** What the sync needs of the HTTP client (IsapiHttpClient). */
export interface UserInfoClient {
  request(method: string, path: string, opts: { body?: string; deadline: number }): Promise<Response>;
  close(): void;
}

/** The gate's access-list copy (edge/core/access-list.ts). */
export interface AccessListSource {
  readonly version: number | null;
  values(): IterableIterator<AccessEntry>;
  onNewVersion(fn: () => void): () => void;
}

export interface PersonSyncOptions {
  cfg: PersonSyncConfig;
  /** The terminal's time zone (IANA). */
  timeZone: string;
  deviceId: string;
  lang: Lang;
  client: UserInfoClient;
  list: AccessListSource;
  clock: Clock;
  log: Logger;
  /** The `terminal-person-sync` alert: raised, or cleared. */
  alert(active: boolean, detail: string): void;
  /** The status changed (the driver republishes the gate's status). */
  onStatus(): void;
  random?: () => number;
}

interface Failure {
  code: string;
  message: string;
  statusCode: number | null;
  subStatusCode: string | null;
  employeeNos: string[];
}

/** A pass that must stop (terminal away, wrong password, nonsense answer). */
class PassAborted extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

/** Status is republished at most this often while a pass works through its batches. */
const STATUS_EVERY_MS = 2000;

export class PersonSync {
  private st: PersonSyncStatus = {
    state: 'waiting',
    lastSyncAt: null,
    listVersion: null,
    pending: null,
    terminalPersons: null,
    errorCode: null,
    statusCode: null,
    subStatusCode: null,
    outOfSyncSince: null,
  };
  private running = false;
  private dirty = false;
  private stopped = true;
  private attempt = 0;
  private retryTimer: Timer | undefined;
  private alertTimer: Timer | undefined;
  private resyncTimer: Timer | undefined;
  private alertActive = false;
  private unsubscribe: (() => void) | undefined;
  private lastPublished = 0;
  private searchSeq = 0;
  private idle: Promise<void> = Promise.resolve();
  /** Passes completed (tests and benchmarks). */
  passes = 0;

  constructor(private readonly o: PersonSyncOptions) {}

  status(): PersonSyncStatus {
    return { ...this.st };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribe = this.o.list.onNewVersion(() => this.kick('access list changed'));
    this.resyncTimer = this.o.clock.setInterval(
      () => this.kick('periodic check'),
      this.o.cfg.resyncIntervalMs,
    );
    this.kick('start');
  }

  /** Stops timers and waits for a running request to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.retryTimer?.cancel();
    this.alertTimer?.cancel();
    this.resyncTimer?.cancel();
    // Closing the connection ends a request in flight at once.
    this.o.client.close();
    await this.idle;
  }

  /** Resolves when no pass is running (tests). */
  whenIdle(): Promise<void> {
    return this.idle;
  }

  /** Run a pass now (or right after the running one): the list changed, the terminal came back. */
  kick(reason: string): void {
    if (this.stopped) return;
    this.dirty = true;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    if (this.running) return;
    this.o.log.debug({ reason }, 'person sync: pass requested');
    this.idle = this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.dirty && !this.stopped) {
        this.dirty = false;
        await this.pass();
      }
    } finally {
      this.running = false;
    }
  }

  private async pass(): Promise<void> {
    // This pass is the retry: a timer left from an earlier one would only repeat it.
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    const version = this.o.list.version;
    if (version === null) {
      this.set({ state: 'waiting' }, true);
      return;
    }
    this.set({ state: 'syncing' }, true);
    const failures: Failure[] = [];
    let interrupted = false;
    let read = false;
    let wantedSize = 0;
    try {
      const onTerminal = await this.readTerminal();
      read = true;
      const wanted = new Map<string, IsapiUser>();
      for (const e of this.o.list.values()) wanted.set(e.employeeNo, terminalPerson(e, this.o.timeZone));
      wantedSize = wanted.size;
      const plan = planPersonSync(wanted, onTerminal);
      this.set({ terminalPersons: onTerminal.size, pending: planSize(plan) }, true);
      interrupted = await this.apply(plan, failures);
    } catch (err) {
      if (!(err instanceof PassAborted)) throw err;
      failures.push(err.failure);
      // The terminal could not be read: what is left to do is not known.
      if (!read) this.set({ pending: null });
    }
    this.passes++;
    if (this.stopped) return;
    if (failures.length === 0 && interrupted) return; // the list changed: the loop runs a fresh pass
    if (failures.length === 0) this.succeeded(version, wantedSize);
    else this.failed(failures);
  }

  /** Every person on the terminal, page by page. */
  private async readTerminal(): Promise<Map<string, IsapiUser>> {
    const out = new Map<string, IsapiUser>();
    const searchID = `tg-${this.o.clock.now().toString(36)}-${++this.searchSeq}`;
    let position = 0;
    for (let pages = 0; ; pages++) {
      const body = encodeUserInfoSearch({
        searchID,
        searchResultPosition: position,
        maxResults: this.o.cfg.pageSize,
      });
      const res = await this.send('POST', UserInfoPath.search, body, []);
      const page = parseUserInfoSearchPage(res.body);
      if (res.status !== 200 || !page.ok) {
        const st = parseResponseStatus(res.body);
        throw new PassAborted(
          st.ok
            ? statusFailure(st.value, res.status, [])
            : {
                code: page.ok ? 'TG_ISAPI_HTTP' : page.error.code,
                message: page.ok ? `UserInfo/Search HTTP ${res.status}` : page.error.message,
                statusCode: null,
                subStatusCode: null,
                employeeNos: [],
              },
        );
      }
      const before = out.size;
      for (const u of page.value.users) out.set(u.employeeNo, u);
      position += page.value.users.length;
      if (page.value.status !== 'MORE') return out;
      // A terminal that ignores the position would page forever: a page with nobody new ends it.
      if (out.size === before || pages > 100_000)
        throw new PassAborted({
          code: 'TG_ISAPI_RESPONSE',
          message: `UserInfo/Search said MORE with no new person at position ${position}`,
          statusCode: null,
          subStatusCode: null,
          employeeNos: [],
        });
    }
  }

  /** Deletions, then changes, then new persons; returns true when a list change cut the pass short. */
  private async apply(plan: PersonPlan, failures: Failure[]): Promise<boolean> {
    const size = this.o.cfg.batchSize;
    let left = planSize(plan);
    const done = (n: number) => {
      left -= n;
      this.set({ pending: left });
    };
    for (let i = 0; i < plan.remove.length; i += size) {
      if (this.dirty || this.stopped) return true;
      const batch = plan.remove.slice(i, i + size);
      const body = encodeUserInfoDelete(batch);
      if (!body.ok) continue; // never empty: slice of a non-empty range
      const f = await this.write('PUT', UserInfoPath.delete, body.value, batch);
      if (f) failures.push(f);
      else done(batch.length);
    }
    const writes: Array<['modify' | 'record', IsapiUser]> = [
      ...plan.modify.map((u) => ['modify', u] as ['modify', IsapiUser]),
      ...plan.record.map((u) => ['record', u] as ['record', IsapiUser]),
    ];
    for (let i = 0; i < writes.length; i += size) {
      if (this.dirty || this.stopped) return true;
      for (const [op, u] of writes.slice(i, i + size)) {
        let f = await this.write(
          op === 'record' ? 'POST' : 'PUT',
          op === 'record' ? UserInfoPath.record : UserInfoPath.modify,
          encodeUserInfo(u),
          [u.employeeNo],
        );
        // Recorded meanwhile (by hand, or by a pass whose answer was lost): change it instead.
        if (f && op === 'record' && f.subStatusCode === SUB_EMPLOYEE_EXISTS)
          f = await this.write('PUT', UserInfoPath.modify, encodeUserInfo(u), [u.employeeNo]);
        if (f) failures.push(f);
        else done(1);
      }
    }
    return false;
  }

  /** One write; a refusal is returned (the pass goes on), anything worse aborts the pass. */
  private async write(
    method: string,
    path: string,
    body: string,
    employeeNos: string[],
  ): Promise<Failure | undefined> {
    const res = await this.send(method, path, body, employeeNos);
    const st = parseResponseStatus(res.body);
    if (res.status === 200 && st.ok && st.value.statusCode === 1) return undefined;
    if (!st.ok || res.status >= 500)
      throw new PassAborted({
        code: st.ok ? 'TG_ISAPI_HTTP' : 'TG_ISAPI_RESPONSE',
        message: `${path}: HTTP ${res.status}${st.ok ? '' : `, ${st.error.message}`}`,
        statusCode: st.ok ? st.value.statusCode : null,
        subStatusCode: st.ok ? st.value.subStatusCode : null,
        employeeNos,
      });
    const f = statusFailure(st.value, res.status, employeeNos);
    this.o.log.warn(
      {
        code: f.code,
        path,
        httpStatus: res.status,
        statusCode: f.statusCode,
        subStatusCode: f.subStatusCode,
        employeeNos,
      },
      'terminal refused a person change',
    );
    return f;
  }

  private async send(method: string, path: string, body: string, employeeNos: string[]): Promise<Response> {
    try {
      return await this.o.client.request(method, path, {
        body,
        deadline: Date.now() + this.o.cfg.requestTimeoutMs,
      });
    } catch (err) {
      const e =
        err instanceof IsapiClientError ? err : new IsapiClientError('TG_ISAPI_UNREACHABLE', String(err));
      throw new PassAborted({
        code: e.code,
        message: e.message,
        statusCode: e.statusCode ?? null,
        subStatusCode: e.subStatusCode ?? null,
        employeeNos,
      });
    }
  }

  private succeeded(version: number, terminalPersons: number): void {
    const was = this.st;
    const now = this.o.clock.now();
    this.attempt = 0;
    this.alertTimer?.cancel();
    this.alertTimer = undefined;
    this.set(
      {
        state: 'in-sync',
        lastSyncAt: now,
        listVersion: version,
        pending: 0,
        terminalPersons,
        errorCode: null,
        statusCode: null,
        subStatusCode: null,
        outOfSyncSince: null,
      },
      true,
    );
    if (was.state !== 'in-sync' || was.listVersion !== version)
      this.o.log.info(
        { listVersion: version, terminalPersons: this.st.terminalPersons },
        'terminal person list in line with the access list',
      );
    if (this.alertActive) {
      this.alertActive = false;
      this.o.alert(false, syncText(this.o.lang, this.o.deviceId, this.st));
    }
  }

  private failed(failures: Failure[]): void {
    const now = this.o.clock.now();
    // A pass that could not finish says why (its failure came last); else the last refusal.
    const f = failures[failures.length - 1] as Failure;
    const since = this.st.outOfSyncSince ?? now;
    this.set(
      {
        state: 'retrying',
        errorCode: f.code,
        statusCode: f.statusCode,
        subStatusCode: f.subStatusCode,
        outOfSyncSince: since,
      },
      true,
    );
    const delay = backoffDelay(
      this.attempt++,
      { minDelayMs: this.o.cfg.retryMinMs, maxDelayMs: this.o.cfg.retryMaxMs },
      this.o.random,
    );
    this.o.log.warn(
      {
        code: f.code,
        statusCode: f.statusCode,
        subStatusCode: f.subStatusCode,
        employeeNos: f.employeeNos.slice(0, 10),
        failures: failures.length,
        pending: this.st.pending,
        retryInMs: delay,
        err: f.message,
      },
      'terminal person list not in line with the access list: retrying',
    );
    this.retryTimer = this.o.clock.setTimeout(() => this.kick('retry'), delay);
    this.checkAlert();
  }

  private checkAlert(): void {
    const since = this.st.outOfSyncSince;
    if (this.alertActive || since === null || this.stopped) return;
    const due = since + this.o.cfg.alertAfterMs - this.o.clock.now();
    if (due <= 0) {
      this.alertActive = true;
      this.o.log.error(
        { code: 'TG_ISAPI_PERSON_SYNC', errorCode: this.st.errorCode, pending: this.st.pending },
        'terminal person list out of line for too long: alert raised',
      );
      this.o.alert(true, syncText(this.o.lang, this.o.deviceId, this.st));
      return;
    }
    if (!this.alertTimer)
      this.alertTimer = this.o.clock.setTimeout(() => {
        this.alertTimer = undefined;
        this.checkAlert();
      }, due);
  }

  private set(patch: Partial<PersonSyncStatus>, publish = false): void {
    this.st = { ...this.st, ...patch };
    const now = this.o.clock.now();
    if (publish || now - this.lastPublished >= STATUS_EVERY_MS) {
      this.lastPublished = now;
      this.o.onStatus();
    }
  }
}

function statusFailure(
  s: { statusCode: number; subStatusCode: string; statusString: string },
  httpStatus: number,
  employeeNos: string[],
): Failure {
  return {
    code: 'TG_ISAPI_STATUS',
    message: `HTTP ${httpStatus}: ${s.statusCode} ${s.statusString} (${s.subStatusCode})`,
    statusCode: s.statusCode,
    subStatusCode: s.subStatusCode || null,
    employeeNos,
  };
}

/** The alert's detail, in the gate's language (the dashboard shows its own text by kind). */
export function syncText(lang: Lang, deviceId: string, s: PersonSyncStatus): string {
  const answer = s.statusCode !== null ? ` ${s.statusCode}/${s.subStatusCode ?? ''}` : '';
  if (lang === 'zh-CN')
    return s.state === 'in-sync'
      ? `人脸终端 ${deviceId} 人员名单已与通行名单一致`
      : `人脸终端 ${deviceId} 人员名单未同步：${s.pending ?? '未知数量'} 项待同步（${s.errorCode ?? ''}${answer}）`;
  return s.state === 'in-sync'
    ? `face terminal ${deviceId}: person list in line with the access list`
    : `face terminal ${deviceId}: person list out of sync, ${s.pending ?? 'unknown'} pending (${s.errorCode ?? ''}${answer})`;
}

/**
 * The driver's hook (driver.ts): a PersonSync for this terminal when `personSync.enabled` and the
 * gate holds an access-list copy, else undefined.
 */
export function createPersonSync(
  ctx: TerminalContext,
  t: HikIsapiTerminalConfig,
  log: Logger,
  onStatus: () => void,
): PersonSync | undefined {
  if (!t.personSync.enabled || !ctx.accessList) return undefined;
  const alerts = new GateAlerts({ cfg: ctx.cfg, clock: ctx.clock, bus: ctx.bus });
  const syncLog = log.child({ part: 'person-sync' });
  return new PersonSync({
    cfg: t.personSync,
    timeZone: t.personSync.timezone ?? ctx.cfg.timezone,
    deviceId: t.deviceId,
    lang: ctx.cfg.lang,
    client: new IsapiHttpClient({
      address: t.address,
      username: t.username,
      password: t.password ?? '',
      log: syncLog,
    }),
    list: ctx.accessList,
    clock: ctx.clock,
    log: syncLog,
    alert: (active, detail) => alerts.raise('terminal-person-sync', active, detail),
    onStatus,
  });
}
