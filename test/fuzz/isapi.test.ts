/**
 * The ISAPI codecs (devices.md §5) under generated input, like the other parsers: the event JSON
 * (raw bytes, arbitrary JSON, the datasheet's event mutated field by field), the multipart push
 * split into chunks at random places and cut at random places, random bytes into the push and
 * alert-stream readers, and Digest headers. Properties: nothing throws; every failure carries a
 * stable TG_ISAPI_* code; an accepted face event has a temperature the chain can store and a time
 * the store accepts; chunking never changes what is read; a cut body yields the event exactly
 * when its JSON part was whole. The UserInfo codecs (Record / Delete / Search bodies and Search
 * answers, validity times): never throw, fail with their own stable codes, and what they accept
 * keeps its shape (employee numbers non-empty, a page's count matching its persons).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AlertStreamReader,
  buildDigestAuthorization,
  digestMatches,
  encodeMultipartPush,
  IsapiPushReader,
  parseDigestAuthorization,
  parseDigestChallenge,
  parseIsapiEvent,
  parseIsapiLocalTime,
  parseUserInfo,
  parseUserInfoDelete,
  parseUserInfoSearch,
  parseUserInfoSearchPage,
} from '../../protocols/hik-isapi/index.ts';
import { ReadingRecord } from '../../protocols/gate/messages.ts';
import { jsonish, mutate, mutation } from './mutate.ts';
import { runs } from './settings.ts';

const CODES = [
  'TG_ISAPI_CONTENT_TYPE',
  'TG_ISAPI_MULTIPART',
  'TG_ISAPI_NO_EVENT',
  'TG_ISAPI_NOT_JSON',
  'TG_ISAPI_SCHEMA',
  'TG_ISAPI_BAD_TEMPERATURE',
  'TG_ISAPI_TOO_LARGE',
  'TG_ISAPI_DIGEST',
];
/** What the UserInfo codecs (the terminal's person list) may fail with. */
const USER_CODES = ['TG_ISAPI_USER_INFO', 'TG_ISAPI_TOO_LARGE', 'TG_ISAPI_LOCAL_TIME'];
const Tenths = ReadingRecord.shape.temperatureTenths.unwrap();
// What the reading record stores (zod counts code points: 40 × '𝒳' is 80 UTF-16 units and fits;
// a `.length <= 64` here failed a CI run on exactly that string, seed -516907116).
const EmployeeNo = ReadingRecord.shape.employeeNo;

const EVENT = {
  ipAddress: '10.0.0.21',
  portNo: 80,
  protocol: 'HTTP',
  macAddress: 'a4:d5:c2:00:00:01',
  channelID: 1,
  dateTime: '2026-12-06T08:01:02+08:00',
  activePostCount: 1,
  eventType: 'AccessControllerEvent',
  eventState: 'active',
  eventDescription: 'Access Controller Event',
  AccessControllerEvent: {
    deviceName: 'Gate 1 terminal',
    majorEventType: 5,
    subEventType: 75,
    name: '张伟',
    employeeNoString: 'E10023',
    cardReaderNo: 1,
    serialNo: 1042,
    userType: 'normal',
    currentVerifyMode: 'face',
    mask: 'yes',
    currTemperature: 36.6,
    thermometryUnit: 'celsius',
    isAbnomalTemperature: false,
    remoteCheck: true,
    picturesNumber: 1,
  },
};

function checkEvent(payload: string | Uint8Array): void {
  const r = parseIsapiEvent(payload);
  if (!r.ok) {
    expect(CODES).toContain(r.error.code);
    return;
  }
  if (r.value.kind !== 'face') return;
  const e = r.value.event;
  if (e.temperatureTenths !== undefined) expect(Tenths.safeParse(e.temperatureTenths).success).toBe(true);
  expect(Number.isInteger(e.at) && e.at >= 0).toBe(true);
  expect(Number.isInteger(e.serialNo) && e.serialNo >= 0).toBe(true);
  expect(EmployeeNo.safeParse(e.employeeNo).success).toBe(true);
}

describe('ISAPI event JSON', () => {
  it('raw bytes and arbitrary JSON: never throws, stable codes, storable values', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          jsonish.map((j) => JSON.stringify(j)),
        ),
        (p) => checkEvent(p),
      ),
      runs(200),
    );
  });

  it('the datasheet event mutated field by field: never throws, stable codes, storable values', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => {
        checkEvent(JSON.stringify(mutate(EVENT, ms)));
      }),
      runs(300),
    );
  });
});

describe('the multipart push', () => {
  const json = JSON.stringify(EVENT);
  const picture = Buffer.from(
    Array.from({ length: 5000 }, (_, i) => [0x0d, 0x0a, 0x2d, 0x2d, 0xff, i & 0xff][i % 6] as number),
  );
  const body = encodeMultipartPush({ boundary: 'MIME_boundary', partName: 'event_log', json, picture });
  const type = 'multipart/form-data; boundary=MIME_boundary';

  it('split into chunks anywhere: the same event; cut anywhere: the event exactly when its part was whole', () => {
    const jsonEnd = body.indexOf('\r\n--MIME_boundary', body.indexOf(json)) + '\r\n--MIME_boundary'.length;
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: body.length }), { maxLength: 12 }),
        fc.nat({ max: body.length }),
        (cuts, cutAt) => {
          const points = [...new Set(cuts)].sort((a, b) => a - b);
          const r = IsapiPushReader.forContentType(type);
          if (!r.ok) throw r.error;
          let prev = 0;
          for (const p of [...points, body.length]) {
            expect(r.value.push(body.subarray(prev, p)).ok).toBe(true);
            prev = p;
          }
          const whole = r.value.end();
          expect(whole.eventJson?.toString()).toBe(json);
          expect(whole.pictureBytes).toBe(picture.length);
          expect(whole.complete).toBe(true);

          const c = IsapiPushReader.forContentType(type);
          if (!c.ok) throw c.error;
          expect(c.value.push(body.subarray(0, cutAt)).ok).toBe(true);
          const cut = c.value.end(true);
          if (cutAt >= jsonEnd) expect(cut.eventJson?.toString()).toBe(json);
          else expect(cut.eventJson).toBeUndefined();
        },
      ),
      runs(200),
    );
  });

  it('random bytes and mangled bodies into the push and stream readers: never throw, stable codes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 2000 }),
          fc
            .tuple(fc.nat({ max: body.length - 1 }), fc.uint8Array({ minLength: 1, maxLength: 20 }))
            .map(([at, junk]) => {
              const b = Buffer.from(body);
              b.set(junk.subarray(0, b.length - at), at);
              return new Uint8Array(b);
            }),
        ),
        fc.constantFrom(type, 'application/json', 'multipart/mixed; boundary=boundary'),
        (bytes, ct) => {
          const r = IsapiPushReader.forContentType(ct);
          if (!r.ok) throw r.error;
          const p = r.value.push(bytes);
          if (!p.ok) expect(CODES).toContain(p.error.code);
          const end = r.value.end(true);
          if (end.eventJson) checkEvent(end.eventJson);
          const s = AlertStreamReader.forContentType('multipart/mixed; boundary=boundary');
          if (!s.ok) throw s.error;
          const out = s.value.push(bytes);
          if (!out.ok) expect(CODES).toContain(out.error.code);
          else for (const e of out.value) if (!e.ok) expect(CODES).toContain(e.error.code);
        },
      ),
      runs(200),
    );
  });
});

describe('Digest headers', () => {
  it('any challenge or authorization text: never throws, stable codes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc
            .array(
              fc.constantFrom(
                'Digest ',
                'Basic ',
                'realm=',
                'nonce=',
                'qop=',
                '"',
                ',',
                'auth',
                'stale=true',
                '\\',
                ' ',
                'x',
              ),
              {
                maxLength: 40,
              },
            )
            .map((a) => a.join('')),
        ),
        (h) => {
          const c = parseDigestChallenge(h);
          if (!c.ok) expect(CODES).toContain(c.error.code);
          const a = parseDigestAuthorization(h);
          if (!a.ok) expect(CODES).toContain(a.error.code);
        },
      ),
      runs(300),
    );
  });

  it('what the client builds, the server reads back and accepts with that password only', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.string({ maxLength: 20 }),
        fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !s.includes('"') || true),
        fc.nat({ max: 0xffffffff }),
        (username, password, nonce, nc) => {
          const ch = parseDigestChallenge(
            `Digest realm="r", qop="auth", nonce="${nonce.replace(/["\\]/g, '\\$&')}"`,
          );
          if (!ch.ok) return;
          const h = buildDigestAuthorization(ch.value, {
            username,
            password,
            method: 'PUT',
            uri: '/ISAPI/AccessControl/remoteCheck?format=json',
            nc,
            cnonce: 'abc',
          });
          const cred = parseDigestAuthorization(h);
          if (!cred.ok) throw cred.error;
          expect(cred.value.username).toBe(username);
          expect(digestMatches(cred.value, password, 'PUT')).toBe(true);
          expect(digestMatches(cred.value, `${password}x`, 'PUT')).toBe(false);
        },
      ),
      runs(200),
    );
  });
});

describe("UserInfo (the terminal's person list)", () => {
  const PAGE = {
    UserInfoSearch: {
      searchID: 's1',
      responseStatusStrg: 'MORE',
      numOfMatches: 2,
      totalMatches: 40,
      UserInfo: [
        {
          employeeNo: 'E10023',
          name: '张伟',
          userType: 'normal',
          Valid: { enable: false, beginTime: '2000-01-01T00:00:00', endTime: '2037-12-31T23:59:59' },
        },
        {
          employeeNo: 'V0001',
          name: '李访客',
          userType: 'visitor',
          Valid: {
            enable: true,
            beginTime: '2026-12-06T08:00:00',
            endTime: '2026-12-06T17:59:59',
            timeType: 'local',
          },
        },
      ],
    },
  };
  const RECORD = { UserInfo: PAGE.UserInfoSearch.UserInfo[1] };
  const DELETE = { UserInfoDelCond: { EmployeeNoList: [{ employeeNo: 'E1' }, { employeeNo: 'E2' }] } };
  const SEARCH = { UserInfoSearchCond: { searchID: 's1', searchResultPosition: 0, maxResults: 30 } };

  function check(payload: string): void {
    const rec = parseUserInfo(payload);
    if (!rec.ok) expect(USER_CODES).toContain(rec.error.code);
    else for (const u of rec.value) expect(u.employeeNo.length).toBeGreaterThan(0);
    const del = parseUserInfoDelete(payload);
    if (!del.ok) expect(USER_CODES).toContain(del.error.code);
    else expect(del.value.length).toBeGreaterThan(0);
    const cond = parseUserInfoSearch(payload);
    if (!cond.ok) expect(USER_CODES).toContain(cond.error.code);
    const page = parseUserInfoSearchPage(payload);
    if (!page.ok) expect(USER_CODES).toContain(page.error.code);
    else expect(page.value.numOfMatches).toBe(page.value.users.length);
  }

  it('raw text and arbitrary JSON: never throws, stable codes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          jsonish.map((j) => JSON.stringify(j)),
        ),
        check,
      ),
      runs(100),
    );
  });

  it('real bodies mutated field by field: never throws, stable codes, accepted shapes hold', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<unknown>(PAGE, RECORD, DELETE, SEARCH),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (doc, ms) => check(JSON.stringify(mutate(doc, ms))),
      ),
      runs(100),
    );
  });

  it('any validity time text: never throws, TG_ISAPI_LOCAL_TIME or an instant in 2000–2037', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc
            .tuple(
              fc.integer({ min: 1990, max: 2045 }),
              fc.nat(14),
              fc.nat(33),
              fc.nat(25),
              fc.nat(61),
              fc.nat(61),
            )
            .map(
              ([y, mo, d, h, mi, s]) =>
                `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}:${String(s).padStart(2, '0')}`,
            ),
        ),
        fc.constantFrom<string | number>('Asia/Shanghai', 'Europe/Berlin', 480, -300),
        (text, zone) => {
          const r = parseIsapiLocalTime(text, zone);
          if (!r.ok) expect(r.error.code).toBe('TG_ISAPI_LOCAL_TIME');
          else {
            expect(Number.isInteger(r.value)).toBe(true);
            expect(r.value).toBeGreaterThan(Date.UTC(1999, 11, 30));
            expect(r.value).toBeLessThan(Date.UTC(2038, 0, 2));
          }
        },
      ),
      runs(300),
    );
  });
});
