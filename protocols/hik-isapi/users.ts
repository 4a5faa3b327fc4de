/**
 * The terminal's person list over ISAPI (`UserInfo`), pure codecs: what the edge's person sync
 * sends (edge/terminal/hik-isapi/person-sync.ts) and what the simulated terminal takes
 * (firmware-sim/isapi/persons.ts).
 *
 * devices.md §5 says nothing about UserInfo; the spellings follow the vendor's public ISAPI as the
 * open-source integrations that call it use it (checked against several independent clients):
 *
 * - `POST /ISAPI/AccessControl/UserInfo/Record?format=json` adds one person:
 *   `{"UserInfo": {"employeeNo", "name", "userType": "normal" | "visitor", "Valid": {"enable",
 *   "beginTime", "endTime", "timeType": "local"}, "doorRight": "1", "RightPlan": [...]}}`. Some
 *   firmwares take `UserInfo` as an array; the simulator accepts both. An existing employeeNo is
 *   refused with subStatusCode `employeeNoAlreadyExist`.
 * - `PUT /ISAPI/AccessControl/UserInfo/Modify?format=json`: the same body, for a person the
 *   terminal has. (`PUT .../UserInfo/SetUp` adds or replaces on newer firmwares only; not used.)
 * - `PUT /ISAPI/AccessControl/UserInfo/Delete?format=json`:
 *   `{"UserInfoDelCond": {"EmployeeNoList": [{"employeeNo": "…"}, …]}}`. Deleting a person
 *   deletes their face data with them: the terminal no longer recognises them.
 * - `POST /ISAPI/AccessControl/UserInfo/Search?format=json`:
 *   `{"UserInfoSearchCond": {"searchID", "searchResultPosition", "maxResults"}}`, answered with
 *   `{"UserInfoSearch": {"searchID", "responseStatusStrg": "OK" | "MORE" | "NO MATCH",
 *   "numOfMatches", "totalMatches", "UserInfo": [...]}}`.
 * - Every write is answered with a `ResponseStatus` (`statusCode` 1 = OK, else `subStatusCode`
 *   says why), parsed by `parseResponseStatus` (messages.ts).
 *
 * Times in `Valid` are the terminal's local wall time without an offset (`timeType: "local"`),
 * to the second, within 2000-01-01T00:00:00 … 2037-12-31T23:59:59 (the range terminals accept).
 */
import { z } from 'zod';
import { ProtocolError, ProtocolErrorCode as C } from '../errors.ts';
import { describeIssues } from '../parse.ts';
import { fail, ok, type Result } from '../result.ts';
import { wallClock } from '../time-zone.ts';

export const UserInfoPath = {
  record: '/ISAPI/AccessControl/UserInfo/Record?format=json',
  modify: '/ISAPI/AccessControl/UserInfo/Modify?format=json',
  delete: '/ISAPI/AccessControl/UserInfo/Delete?format=json',
  search: '/ISAPI/AccessControl/UserInfo/Search?format=json',
} as const;

/** The validity range terminals accept (earlier or later is refused as badParameters). */
export const ISAPI_TIME_MIN = '2000-01-01T00:00:00';
export const ISAPI_TIME_MAX = '2037-12-31T23:59:59';

/** The subStatusCode a Record gets for an employeeNo the terminal already has. */
export const SUB_EMPLOYEE_EXISTS = 'employeeNoAlreadyExist';

/** One person on the terminal, as the edge and the simulator see it. */
export interface IsapiUser {
  employeeNo: string;
  name: string;
  /** `normal` (an employee) or `visitor`; terminals know others (blackList, …), kept as sent. */
  userType: string;
  valid: {
    enable: boolean;
    /** Terminal-local wall time `YYYY-MM-DDTHH:mm:ss`. */
    beginTime: string;
    endTime: string;
  };
}

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})?$/;

const UserInfoWire = z.object({
  employeeNo: z.coerce.string().min(1).max(64),
  name: z.string().max(128).default(''),
  userType: z.string().max(32).default('normal'),
  Valid: z
    .object({
      enable: z.boolean().default(false),
      beginTime: z.string().max(40).default(ISAPI_TIME_MIN),
      endTime: z.string().max(40).default(ISAPI_TIME_MAX),
      timeType: z.enum(['local', 'UTC']).default('local'),
    })
    .optional(),
});
type UserInfoWire = z.infer<typeof UserInfoWire>;

function fromWire(u: UserInfoWire): IsapiUser {
  return {
    employeeNo: u.employeeNo,
    name: u.name,
    userType: u.userType,
    valid: {
      enable: u.Valid?.enable ?? false,
      beginTime: u.Valid?.beginTime ?? ISAPI_TIME_MIN,
      endTime: u.Valid?.endTime ?? ISAPI_TIME_MAX,
    },
  };
}

function toWire(u: IsapiUser) {
  return {
    employeeNo: u.employeeNo,
    name: u.name,
    userType: u.userType,
    Valid: {
      enable: u.valid.enable,
      beginTime: u.valid.beginTime,
      endTime: u.valid.endTime,
      timeType: 'local',
    },
    // Door 1 under the always-on plan template 1: without a door right a matched face opens nothing.
    doorRight: '1',
    RightPlan: [{ doorNo: 1, planTemplateNo: '1' }],
  };
}

/** Body of `UserInfo/Record` and `UserInfo/Modify`. */
export function encodeUserInfo(u: IsapiUser): string {
  return JSON.stringify({ UserInfo: toWire(u) });
}

/** A Record / Modify body (`UserInfo` as an object, or an array on some firmwares): its persons. */
export function parseUserInfo(payload: Uint8Array | string): Result<IsapiUser[]> {
  const r = parseJson(
    payload,
    z.object({ UserInfo: z.union([UserInfoWire, z.array(UserInfoWire).min(1).max(100)]) }),
    256 * 1024,
  );
  if (!r.ok) return r;
  const list = Array.isArray(r.value.UserInfo) ? r.value.UserInfo : [r.value.UserInfo];
  return ok(list.map(fromWire));
}

/** Body of `UserInfo/Delete`: these employee numbers (never an empty list: that means "all" on some firmwares). */
export function encodeUserInfoDelete(employeeNos: readonly string[]): Result<string> {
  if (employeeNos.length === 0)
    return fail(new ProtocolError(C.ISAPI_USER_INFO, 'a delete names at least one employeeNo'));
  return ok(
    JSON.stringify({
      UserInfoDelCond: { EmployeeNoList: employeeNos.map((employeeNo) => ({ employeeNo })) },
    }),
  );
}

export function parseUserInfoDelete(payload: Uint8Array | string): Result<string[]> {
  const r = parseJson(
    payload,
    z.object({
      UserInfoDelCond: z.object({
        EmployeeNoList: z
          .array(z.object({ employeeNo: z.coerce.string().min(1).max(64) }))
          .min(1)
          .max(1000),
      }),
    }),
    256 * 1024,
  );
  return r.ok ? ok(r.value.UserInfoDelCond.EmployeeNoList.map((e) => e.employeeNo)) : r;
}

export interface UserInfoSearchCond {
  searchID: string;
  searchResultPosition: number;
  maxResults: number;
}

const SearchCond = z.object({
  UserInfoSearchCond: z.object({
    searchID: z.coerce.string().min(1).max(64),
    searchResultPosition: z.number().int().nonnegative(),
    maxResults: z.number().int().min(1).max(1000),
  }),
});

/** Body of `UserInfo/Search`: one page of the terminal's persons. */
export function encodeUserInfoSearch(c: UserInfoSearchCond): string {
  return JSON.stringify({ UserInfoSearchCond: c });
}

export function parseUserInfoSearch(payload: Uint8Array | string): Result<UserInfoSearchCond> {
  const r = parseJson(payload, SearchCond, 16 * 1024);
  return r.ok ? ok(r.value.UserInfoSearchCond) : r;
}

export interface UserInfoSearchPage {
  searchID: string;
  /** `MORE`: further pages follow; `OK`: this is the last; `NO MATCH`: nothing (at this position). */
  status: 'OK' | 'MORE' | 'NO MATCH';
  numOfMatches: number;
  totalMatches: number;
  users: IsapiUser[];
}

const SearchPageWire = z.object({
  UserInfoSearch: z.object({
    searchID: z.coerce.string().max(64).default(''),
    responseStatusStrg: z.enum(['OK', 'MORE', 'NO MATCH']),
    numOfMatches: z.number().int().nonnegative().default(0),
    totalMatches: z.number().int().nonnegative().default(0),
    UserInfo: z.array(UserInfoWire).max(1000).default([]),
  }),
});

/** A Search answer. A `ResponseStatus` instead (an error) is TG_ISAPI_USER_INFO here: read it with parseResponseStatus. */
export function parseUserInfoSearchPage(payload: Uint8Array | string): Result<UserInfoSearchPage> {
  const r = parseJson(payload, SearchPageWire, 4 * 1024 * 1024);
  if (!r.ok) return r;
  const s = r.value.UserInfoSearch;
  if (s.UserInfo.length > 0 && s.numOfMatches !== s.UserInfo.length)
    return fail(
      new ProtocolError(
        C.ISAPI_USER_INFO,
        `numOfMatches ${s.numOfMatches} but ${s.UserInfo.length} persons in the page`,
      ),
    );
  return ok({
    searchID: s.searchID,
    status: s.responseStatusStrg,
    numOfMatches: s.UserInfo.length,
    totalMatches: s.totalMatches,
    users: s.UserInfo.map(fromWire),
  });
}

export function encodeUserInfoSearchPage(p: UserInfoSearchPage): string {
  return JSON.stringify({
    UserInfoSearch: {
      searchID: p.searchID,
      responseStatusStrg: p.status,
      numOfMatches: p.users.length,
      totalMatches: p.totalMatches,
      ...(p.users.length > 0 ? { UserInfo: p.users.map(toWire) } : {}),
    },
  });
}

// ---- terminal-local time ---------------------------------------------------------------------

/** The zone's wall clock at `ms`: year, month, day, hour, minute, second (protocols/time-zone.ts). */
function partsIn(ms: number, timeZone: string): number[] {
  const w = new Date(wallClock(timeZone, ms));
  return [
    w.getUTCFullYear(),
    w.getUTCMonth() + 1,
    w.getUTCDate(),
    w.getUTCHours(),
    w.getUTCMinutes(),
    w.getUTCSeconds(),
  ];
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * An instant as the terminal's local wall time in `timeZone` (IANA, e.g. Asia/Shanghai), to the
 * second (rounded down), clamped to the range terminals accept.
 */
export function formatIsapiLocalTime(ms: number, timeZone: string): string {
  const [y, mo, d, h, mi, s] = partsIn(ms, timeZone) as [number, number, number, number, number, number];
  const text = `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}`;
  if (y < 2000) return ISAPI_TIME_MIN;
  if (y > 2037) return ISAPI_TIME_MAX;
  return text;
}

/**
 * A terminal's local time back to an instant. `zone` is an IANA zone or a UTC offset in minutes;
 * a time that carries its own offset (`Z`, `+08:00`: some firmwares with timeType UTC) uses that.
 */
export function parseIsapiLocalTime(text: string, zone: string | number): Result<number> {
  const m = LOCAL_TIME.exec(text);
  if (!m)
    return fail(
      new ProtocolError(C.ISAPI_LOCAL_TIME, `not YYYY-MM-DDTHH:mm:ss: ${JSON.stringify(text.slice(0, 40))}`),
    );
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (y < 2000 || y > 2037 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59)
    return fail(new ProtocolError(C.ISAPI_LOCAL_TIME, `out of range: ${text}`));
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  if (new Date(wall).getUTCDate() !== d)
    return fail(new ProtocolError(C.ISAPI_LOCAL_TIME, `no such day: ${text}`));
  const own = m[7];
  if (own === 'Z') return ok(wall);
  if (own !== undefined) {
    const digits = own.slice(1).replace(':', '');
    const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
    return ok(wall - (own[0] === '-' ? -1 : 1) * minutes * 60_000);
  }
  if (typeof zone === 'number') return ok(wall - zone * 60_000);
  // The instant whose wall time in the zone is `wall` (two rounds settle a DST change).
  const offsetAt = (t: number) => {
    const [py, pmo, pd, ph, pmi, ps] = partsIn(t, zone) as [number, number, number, number, number, number];
    return Date.UTC(py, pmo - 1, pd, ph, pmi, ps) - (t - (((t % 1000) + 1000) % 1000));
  };
  const first = wall - offsetAt(wall);
  return ok(wall - offsetAt(first));
}

/** Whether a person's validity admits them at this instant (terminal's rule: begin ≤ t ≤ end, to the second). */
export function isapiUserValidAt(u: IsapiUser, ms: number, zone: string | number): boolean {
  if (!u.valid.enable) return true;
  const b = parseIsapiLocalTime(u.valid.beginTime, zone);
  const e = parseIsapiLocalTime(u.valid.endTime, zone);
  if (!b.ok || !e.ok) return false;
  const t = Math.floor(ms / 1000) * 1000;
  return b.value <= t && t <= e.value;
}

function parseJson<S extends z.ZodType>(
  payload: Uint8Array | string,
  schema: S,
  max: number,
): Result<z.output<S>> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > max) return fail(new ProtocolError(C.ISAPI_TOO_LARGE, `over ${max} bytes`));
  const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(new ProtocolError(C.ISAPI_USER_INFO, `not JSON: ${(e as Error).message}`));
  }
  const r = schema.safeParse(json);
  if (!r.success) return fail(new ProtocolError(C.ISAPI_USER_INFO, describeIssues(r.error.issues)));
  return ok(r.data);
}
