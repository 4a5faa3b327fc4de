/**
 * A face terminal that speaks the vendor's HTTP API, ISAPI (devices.md §5), device side.
 * Independent of edge/: built on protocols/hik-isapi only, over `node:http`.
 *
 * - Its own web server with HTTP Digest (RFC 7616 MD5, qop=auth; nonces expire and are then
 *   answered `stale=true`; a repeated nonce count is refused): `PUT remoteCheck`,
 *   `GET deviceInfo` (XML), `GET alertStream` (multipart/mixed, endless).
 * - `present(person)`: one access-control event (5/75, or 5/76 for an unknown face). Push mode
 *   POSTs it to the listening host as multipart (event JSON + a small JPEG); pull mode writes it to
 *   the open alert streams. With remoteCheck the turnstile stays shut until a remoteCheck PUT
 *   names its serialNo, or `remoteCheckTimeoutMs` (3 s) passes: denied by default.
 * - An event it could not deliver (no 200 from the listening host, no open stream, cut off) is
 *   kept and re-sent every `resendMs` and on reconnect, with the same serialNo and dateTime and
 *   `activePostCount` + 1 — which is how the edge knows it is a re-send (stored, never actuates).
 * - Faults: `cutNextPush()`, `dropStreamsMidEvent()`, `expireNonces()`, `goOffline()` /
 *   `goOnline()` (the whole terminal unreachable, e.g. unplugged).
 * - Its person list (`persons`, persons.ts): `UserInfo/Record`, `Modify`, `Delete`, `Search` under
 *   the same Digest. With `enforcePersonList` a face is matched (5/75, with the name the terminal
 *   holds) only for a person on that list and inside their validity; anyone else is an unknown
 *   face (5/76). Without it the scenario says who matches, as before.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  buildDigestChallenge,
  type DeviceInfo,
  digestMatches,
  encodeDeviceInfoXml,
  encodeIsapiEvent,
  encodeMultipartPush,
  encodeResponseStatus,
  encodeStreamPart,
  type IsapiEventFields,
  type IsapiUser,
  ISAPI_MAJOR_EVENT,
  ISAPI_SUB_FACE_MATCHED,
  ISAPI_SUB_FACE_UNKNOWN,
  IsapiPath,
  parseDigestAuthorization,
  parseRemoteCheck,
  type RemoteCheck,
} from '../../protocols/hik-isapi/index.ts';
import { SimError, SimErrorCode } from '../errors.ts';
import {
  type BuiltInThermometer,
  type FacePerson,
  fromTenthsCelsius,
  isRecognised,
} from '../face/event-builder.ts';
import { childLogger, type Logger } from '../log.ts';
import { formatIsoWithOffset, parseUtcOffset } from '../time.ts';
import { smallJpeg } from './jpeg.ts';
import { IsapiPersonList, userInfoRoute } from './persons.ts';

export interface IsapiTerminalOptions {
  /** For logs and the event's deviceName. */
  deviceId?: string;
  /** Where its web server listens (default 127.0.0.1:0). */
  host?: string;
  port?: number;
  username?: string;
  password: string;
  realm?: string;
  /** push: the edge's listening host, e.g. http://127.0.0.1:8099/isapi/event. pull: omit. */
  pushUrl?: string;
  /** §5: `event_log` (default) or `AccessControllerEvent`. */
  partName?: 'event_log' | 'AccessControllerEvent';
  /** Some firmwares send the JSON alone as application/json. */
  jsonOnly?: boolean;
  /** Picture size in bytes (default 24 KiB; 0 for none). */
  pictureBytes?: number;
  remoteCheck?: boolean;
  remoteCheckTimeoutMs?: number;
  /** Re-send period of undelivered events (default 2000 ms). */
  resendMs?: number;
  /** The listening host must answer within this (§5: ~5 s). */
  pushTimeoutMs?: number;
  /** A nonce older than this is answered `stale=true` (default 5 min). */
  nonceTtlMs?: number;
  thermometer?: BuiltInThermometer;
  utcOffset?: string;
  lastSerialNo?: number;
  clock?: () => number;
  info?: Partial<DeviceInfo>;
  logger?: Logger;
  /** Match faces only against the terminal's own person list (see the header). Default false. */
  enforcePersonList?: boolean;
  /** Persons enrolled before start. */
  persons?: IsapiUser[];
}

export interface IsapiPresentResult {
  serialNo: number;
  /** The event JSON as sent. */
  json: string;
  verdict: RemoteCheck['RemoteCheck'] | undefined;
  opened: boolean;
  timedOut: boolean;
  /** Delivered at once (false: kept for re-sending). */
  realtime: boolean;
}

interface Pending {
  fields: IsapiEventFields;
}

interface Nonce {
  created: number;
  lastNc: number;
  stale: boolean;
}

const BOUNDARY = 'MIME_boundary';
const STREAM_BOUNDARY = 'boundary';

export class IsapiTerminal extends EventEmitter {
  readonly deviceId: string;
  readonly username: string;
  private readonly password: string;
  private readonly realm: string;
  private server: http.Server | undefined;
  private boundPort: number;
  private serialNo: number;
  private readonly offsetMinutes: number;
  private readonly clock: () => number;
  private readonly log: Logger;
  private readonly nonces = new Map<string, Nonce>();
  private readonly opaque = randomBytes(8).toString('hex');
  private readonly waiters = new Map<number, (v: RemoteCheck['RemoteCheck']) => void>();
  /** Undelivered events, in serialNo order. */
  private readonly undelivered = new Map<number, Pending>();
  private readonly streams = new Set<ServerResponse>();
  private resendTimer: ReturnType<typeof setInterval> | undefined;
  private cutNext = 0;
  private dropNextStreamEvent = false;
  private offline = false;
  private readonly picture: Buffer;
  readonly info: DeviceInfo;
  /** The terminal's person list (UserInfo). */
  readonly persons: IsapiPersonList;
  /** Every remoteCheck body that passed authentication, in order. */
  readonly remoteChecks: RemoteCheck['RemoteCheck'][] = [];
  /** Requests refused for bad credentials (not the first-leg challenges). */
  authFailures = 0;
  /** 401 challenges issued (first legs included). */
  challenges = 0;
  staleChallenges = 0;

  constructor(private readonly o: IsapiTerminalOptions) {
    super();
    this.deviceId = o.deviceId ?? 'isapi-1';
    this.username = o.username ?? 'admin';
    this.password = o.password;
    this.realm = o.realm ?? 'DS-K1T671TM';
    this.boundPort = o.port ?? 0;
    this.serialNo = o.lastSerialNo ?? 0;
    this.offsetMinutes = parseUtcOffset(o.utcOffset ?? '+08:00');
    this.clock = o.clock ?? Date.now;
    this.log = o.logger ?? childLogger('isapi-terminal', { deviceId: this.deviceId });
    this.picture = smallJpeg(o.pictureBytes ?? 24 * 1024);
    this.persons = new IsapiPersonList({
      offsetMinutes: this.offsetMinutes,
      ...(o.persons ? { initial: o.persons } : {}),
    });
    this.info = {
      deviceName: this.deviceId,
      model: 'DS-K1T671TM-3XF',
      serialNumber: `DS-K1T671TM-3XF20261206V030200ENSIM${this.deviceId}`.slice(0, 64),
      firmwareVersion: 'V3.2.30',
      macAddress: 'a4:d5:c2:00:00:01',
      ...o.info,
    };
  }

  get port(): number {
    return this.boundPort;
  }

  /** Points the terminal at a (new) listening host, as its web page's event settings do. */
  setPushUrl(url: string | undefined): void {
    this.o.pushUrl = url;
  }

  /** Its web address, for the edge's `terminal.address`. */
  get address(): string {
    return `http://${this.o.host ?? '127.0.0.1'}:${this.boundPort}`;
  }

  get lastSerialNo(): number {
    return this.serialNo;
  }

  pendingEvents(): number[] {
    return [...this.undelivered.keys()];
  }

  async start(): Promise<void> {
    await this.listen();
    this.offline = false;
    this.resendTimer = setInterval(() => void this.resend(), this.o.resendMs ?? 2000);
  }

  async stop(): Promise<void> {
    if (this.resendTimer) clearInterval(this.resendTimer);
    this.resendTimer = undefined;
    for (const w of this.waiters.keys()) this.waiters.delete(w);
    await this.closeServer();
  }

  /** Unreachable: web server down, no pushes delivered (they are kept). */
  async goOffline(): Promise<void> {
    this.offline = true;
    await this.closeServer();
  }

  /** Back: web server up on the same port, kept events re-sent. */
  async goOnline(): Promise<void> {
    this.offline = false;
    await this.listen();
    void this.resend();
  }

  /** The next push sends its headers, the event and part of the picture, then the link dies. */
  cutNextPush(): void {
    this.cutNext++;
  }

  /** The next event written to the alert stream is cut half-way and the streams close. */
  dropStreamsMidEvent(): void {
    this.dropNextStreamEvent = true;
  }

  /** Every nonce issued so far is now stale: the next request is answered 401 stale=true. */
  expireNonces(): void {
    for (const n of this.nonces.values()) n.stale = true;
  }

  get streamCount(): number {
    return this.streams.size;
  }

  async present(
    person: FacePerson,
    po: { remoteCheck?: boolean; atMs?: number } = {},
  ): Promise<IsapiPresentResult> {
    if (!this.server && !this.offline)
      throw new SimError(SimErrorCode.NOT_STARTED, `ISAPI terminal ${this.deviceId} is not started`);
    const remoteCheck = po.remoteCheck ?? this.o.remoteCheck ?? true;
    this.serialNo += 1;
    const serialNo = this.serialNo;
    const at = po.atMs ?? this.clock();
    const enrolled = this.o.enforcePersonList ? this.persons.get(person.employeeNo) : undefined;
    const recognised =
      isRecognised(person) && (!this.o.enforcePersonList || this.persons.recognises(person.employeeNo, at));
    const fields: IsapiEventFields = {
      ipAddress: this.o.host ?? '127.0.0.1',
      portNo: this.boundPort,
      macAddress: this.info.macAddress,
      dateTime: formatIsoWithOffset(at, this.offsetMinutes),
      activePostCount: 1,
      deviceName: this.info.deviceName,
      majorEventType: ISAPI_MAJOR_EVENT,
      subEventType: recognised ? ISAPI_SUB_FACE_MATCHED : ISAPI_SUB_FACE_UNKNOWN,
      serialNo,
      mask: person.mask ?? 'yes',
      remoteCheck,
      picturesNumber: this.picture.length > 0 && !this.o.jsonOnly ? 1 : 0,
    };
    if (recognised) {
      fields.employeeNoString = person.employeeNo;
      const name = enrolled?.name || person.name;
      if (name) fields.name = name;
    }
    if (this.o.thermometer && person.temperatureTenths !== undefined) {
      const unit = this.o.thermometer.unit ?? 'celsius';
      fields.currTemperature = fromTenthsCelsius(person.temperatureTenths, unit);
      fields.thermometryUnit = unit;
      fields.isAbnomalTemperature = person.temperatureTenths >= (this.o.thermometer.abnormalTenths ?? 373);
    }
    const json = encodeIsapiEvent(fields);
    // Wait first, then send: a fast edge answers before the push's own 200 comes back.
    const verdictP = remoteCheck ? this.waitVerdict(serialNo) : Promise.resolve(undefined);
    const delivered = await this.deliver({ fields });
    if (!delivered) {
      this.waiters.delete(serialNo);
      this.undelivered.set(serialNo, { fields });
      this.log.info({ serialNo, kept: this.undelivered.size }, 'event not delivered: kept for re-sending');
      return { serialNo, json, verdict: undefined, opened: false, timedOut: false, realtime: false };
    }
    if (!remoteCheck)
      return { serialNo, json, verdict: undefined, opened: recognised, timedOut: false, realtime: true };
    const verdict = await verdictP;
    if (!verdict) this.log.info({ serialNo }, 'no remote check in time: denied');
    return {
      serialNo,
      json,
      verdict,
      opened: verdict?.checkResult === 'success',
      timedOut: !verdict,
      realtime: true,
    };
  }

  private waitVerdict(serialNo: number): Promise<RemoteCheck['RemoteCheck'] | undefined> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiters.delete(serialNo);
        resolve(undefined);
      }, this.o.remoteCheckTimeoutMs ?? 3000);
      this.waiters.set(serialNo, (v) => {
        clearTimeout(t);
        resolve(v);
      });
    });
  }

  private async deliver(p: Pending): Promise<boolean> {
    if (this.offline) return false;
    const json = encodeIsapiEvent(p.fields);
    if (!this.o.pushUrl) return this.writeToStreams(json);
    return this.push(json);
  }

  /** One POST to the listening host; true on its 200. */
  private push(json: string): Promise<boolean> {
    const url = new URL(this.o.pushUrl as string);
    const body = this.o.jsonOnly
      ? Buffer.from(json)
      : encodeMultipartPush({
          boundary: BOUNDARY,
          partName: this.o.partName ?? 'event_log',
          json,
          ...(this.picture.length > 0 ? { picture: this.picture } : {}),
        });
    const cut = this.cutNext > 0;
    if (cut) this.cutNext--;
    return new Promise((resolve) => {
      let done = false;
      const finish = (ok: boolean) => {
        if (done) return;
        done = true;
        resolve(ok);
      };
      const req = http.request({
        host: url.hostname,
        port: url.port || 80,
        path: url.pathname + url.search,
        method: 'POST',
        agent: false,
        // A terminal's pushes come from its own address (the edge checks the source).
        ...(this.o.host ? { localAddress: this.o.host } : {}),
        headers: {
          'Content-Type': this.o.jsonOnly ? 'application/json' : `multipart/form-data; boundary=${BOUNDARY}`,
          'Content-Length': body.length,
        },
        timeout: this.o.pushTimeoutMs ?? 5000,
      });
      req.on('timeout', () => req.destroy(new Error('no answer in time')));
      req.on('error', (err) => {
        this.log.debug({ err: err.message }, 'push failed');
        finish(false);
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => finish(res.statusCode === 200));
        res.on('error', () => finish(false));
      });
      if (cut) {
        // Headers, the event part and a third of the picture; then the cable is pulled.
        const at = body.length - Math.floor(this.picture.length * 0.66);
        req.write(body.subarray(0, at), () => setTimeout(() => req.destroy(new Error('cut')), 50));
        return;
      }
      req.end(body);
    });
  }

  private writeToStreams(json: string): boolean {
    if (this.streams.size === 0) return false;
    const part = encodeStreamPart(STREAM_BOUNDARY, json);
    if (this.dropNextStreamEvent) {
      this.dropNextStreamEvent = false;
      for (const s of this.streams) {
        s.write(part.subarray(0, Math.floor(part.length / 2)));
        // Let the half-part leave before the connection dies.
        setTimeout(() => s.destroy(), 50);
      }
      this.streams.clear();
      return false;
    }
    for (const s of this.streams) s.write(part);
    return true;
  }

  private async resend(): Promise<void> {
    if (this.offline) return;
    for (const [serialNo, p] of [...this.undelivered]) {
      p.fields.activePostCount += 1;
      const ok = await this.deliver(p);
      if (ok) {
        this.undelivered.delete(serialNo);
        this.log.info({ serialNo, activePostCount: p.fields.activePostCount }, 'kept event delivered');
        this.emit('resent', serialNo);
      } else break;
    }
  }

  // ---- the web server ----------------------------------------------------------------------

  private async listen(): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, this.o.host ?? '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
  }

  private async closeServer(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const st of this.streams) st.destroy();
    this.streams.clear();
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '';
    const userOp = userInfoRoute(req.method, url);
    if (userOp) {
      if (this.authenticated(req, res)) this.persons.handle(userOp, req, res);
      return;
    }
    const route =
      req.method === 'PUT' && url === IsapiPath.remoteCheck
        ? 'remoteCheck'
        : req.method === 'GET' && url.split('?')[0] === IsapiPath.deviceInfo
          ? 'deviceInfo'
          : req.method === 'GET' && url.split('?')[0] === IsapiPath.alertStream
            ? 'alertStream'
            : undefined;
    if (!route) {
      req.resume();
      this.status(res, 404, 4, 'Invalid Operation', 'notSupport');
      return;
    }
    if (!this.authenticated(req, res)) return;
    if (route === 'deviceInfo') {
      req.resume();
      const xml = encodeDeviceInfoXml(this.info);
      res.writeHead(200, {
        'Content-Type': 'application/xml; charset="UTF-8"',
        'Content-Length': Buffer.byteLength(xml),
      });
      res.end(xml);
      return;
    }
    if (route === 'alertStream') {
      req.resume();
      res.writeHead(200, {
        'Content-Type': `multipart/mixed; boundary=${STREAM_BOUNDARY}`,
        Connection: 'keep-alive',
      });
      res.flushHeaders();
      this.streams.add(res);
      res.on('close', () => this.streams.delete(res));
      this.log.info({ streams: this.streams.size }, 'alert stream opened');
      this.emit('streamOpened');
      void this.resend();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = parseRemoteCheck(Buffer.concat(chunks));
      if (!r.ok) {
        this.status(res, 400, 6, 'Invalid Content', 'badJsonContent');
        return;
      }
      const v = r.value.RemoteCheck;
      const waiter = this.waiters.get(v.serialNo);
      if (!waiter) {
        this.log.info({ serialNo: v.serialNo }, 'remote check for no waiting event');
        this.status(res, 400, 6, 'Invalid Content', 'invalidSerialNo');
        return;
      }
      this.waiters.delete(v.serialNo);
      this.remoteChecks.push(v);
      waiter(v);
      this.emit('remoteCheck', v);
      this.status(res, 200, 1, 'OK', 'ok');
    });
  }

  private status(
    res: ServerResponse,
    http: number,
    statusCode: number,
    statusString: string,
    sub: string,
  ): void {
    const body = encodeResponseStatus({ statusCode, statusString, subStatusCode: sub });
    res.writeHead(http, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  /** Digest check; answers the 401 itself when it fails. */
  private authenticated(req: IncomingMessage, res: ServerResponse): boolean {
    const header = req.headers.authorization;
    const challenge = (stale: boolean) => {
      const nonce = randomBytes(16).toString('hex');
      this.nonces.set(nonce, { created: Date.now(), lastNc: 0, stale: false });
      if (this.nonces.size > 1000) this.nonces.delete(this.nonces.keys().next().value as string);
      this.challenges++;
      if (stale) this.staleChallenges++;
      req.resume();
      const body = encodeResponseStatus({
        statusCode: 4,
        statusString: 'Invalid Operation',
        subStatusCode: 'unauthorized',
      });
      res.writeHead(401, {
        'WWW-Authenticate': buildDigestChallenge({ realm: this.realm, nonce, opaque: this.opaque, stale }),
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
      });
      res.end(body);
      return false;
    };
    if (!header) return challenge(false);
    const cred = parseDigestAuthorization(header);
    if (!cred.ok || cred.value.realm !== this.realm || cred.value.uri !== req.url) {
      this.authFailures++;
      return challenge(false);
    }
    const c = cred.value;
    const right = c.username === this.username && digestMatches(c, this.password, req.method ?? 'GET');
    if (!right) {
      this.authFailures++;
      this.log.info({ username: c.username }, 'digest: wrong credentials');
      return challenge(false);
    }
    const n = this.nonces.get(c.nonce);
    const ttl = this.o.nonceTtlMs ?? 300_000;
    // Right password on a nonce we no longer honour: stale, so the client retries without asking anyone.
    if (!n || n.stale || Date.now() - n.created > ttl) return challenge(true);
    const nc = c.nc === undefined ? n.lastNc + 1 : Number.parseInt(c.nc, 16);
    if (nc <= n.lastNc) {
      this.authFailures++;
      this.log.info({ nc, lastNc: n.lastNc }, 'digest: nonce count replayed');
      return challenge(false);
    }
    n.lastNc = nc;
    return true;
  }
}
