/**
 * The UserInfo codecs on bodies as the vendor's public ISAPI and the integrations that call it
 * spell them (see users.ts), and terminal-local time in the site's zone. Expected values are
 * written from those documents and from the clock on the wall in Shanghai, not from the code.
 */
import { describe, expect, it } from 'vitest';
import {
  encodeUserInfo,
  encodeUserInfoDelete,
  encodeUserInfoSearch,
  encodeUserInfoSearchPage,
  formatIsapiLocalTime,
  type IsapiUser,
  isapiUserValidAt,
  parseIsapiLocalTime,
  parseUserInfo,
  parseUserInfoDelete,
  parseUserInfoSearch,
  parseUserInfoSearchPage,
} from './index.ts';

const VISITOR: IsapiUser = {
  employeeNo: 'V0001',
  name: '李访客',
  userType: 'visitor',
  valid: { enable: true, beginTime: '2026-12-06T08:00:00', endTime: '2026-12-06T17:59:59' },
};

/** 2026-12-06 08:00:00 in Shanghai (UTC+8, no daylight saving) is 00:00:00 UTC. */
const SH_0800 = Date.UTC(2026, 11, 6, 0, 0, 0);

describe('UserInfo bodies', () => {
  it('Record / Modify: UserInfo with employeeNo, name, userType and a local-time Valid', () => {
    const body = JSON.parse(encodeUserInfo(VISITOR));
    expect(body).toMatchObject({
      UserInfo: {
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
    });
    expect(parseUserInfo(encodeUserInfo(VISITOR))).toEqual({ ok: true, value: [VISITOR] });
  });

  it('a Record as another client sends it (array form, no Valid, numeric employeeNo) reads', () => {
    const r = parseUserInfo('{"UserInfo":[{"employeeNo":1025,"name":"Carlos","userType":"normal"}]}');
    expect(r).toEqual({
      ok: true,
      value: [
        {
          employeeNo: '1025',
          name: 'Carlos',
          userType: 'normal',
          valid: { enable: false, beginTime: '2000-01-01T00:00:00', endTime: '2037-12-31T23:59:59' },
        },
      ],
    });
  });

  it('a Record without employeeNo, or not JSON, is TG_ISAPI_USER_INFO', () => {
    for (const bad of ['{"UserInfo":{"name":"x"}}', '{"UserInfo":', '{"UserInfo":[]}', '[]'])
      expect(parseUserInfo(bad)).toMatchObject({ ok: false, error: { code: 'TG_ISAPI_USER_INFO' } });
  });

  it('Delete: UserInfoDelCond.EmployeeNoList of {employeeNo}; an empty list is refused (some firmwares read it as "all")', () => {
    const r = encodeUserInfoDelete(['E1', 'E2']);
    expect(r.ok && JSON.parse(r.value)).toEqual({
      UserInfoDelCond: { EmployeeNoList: [{ employeeNo: 'E1' }, { employeeNo: 'E2' }] },
    });
    expect(encodeUserInfoDelete([])).toMatchObject({ ok: false, error: { code: 'TG_ISAPI_USER_INFO' } });
    expect(parseUserInfoDelete('{"UserInfoDelCond":{"EmployeeNoList":[{"employeeNo":"E1"}]}}')).toEqual({
      ok: true,
      value: ['E1'],
    });
    expect(parseUserInfoDelete('{"UserInfoDelCond":{"EmployeeNoList":[]}}')).toMatchObject({
      ok: false,
      error: { code: 'TG_ISAPI_USER_INFO' },
    });
  });

  it('Search: UserInfoSearchCond with searchID, searchResultPosition, maxResults', () => {
    const body = encodeUserInfoSearch({ searchID: 's1', searchResultPosition: 30, maxResults: 30 });
    expect(JSON.parse(body)).toEqual({
      UserInfoSearchCond: { searchID: 's1', searchResultPosition: 30, maxResults: 30 },
    });
    expect(parseUserInfoSearch(body)).toEqual({
      ok: true,
      value: { searchID: 's1', searchResultPosition: 30, maxResults: 30 },
    });
  });

  it('a Search answer: MORE with its page, OK at the end, NO MATCH on an empty terminal', () => {
    const more = parseUserInfoSearchPage(
      JSON.stringify({
        UserInfoSearch: {
          searchID: 's1',
          responseStatusStrg: 'MORE',
          numOfMatches: 1,
          totalMatches: 111,
          UserInfo: [{ employeeNo: '1', name: 'A', userType: 'normal' }],
        },
      }),
    );
    expect(more).toMatchObject({
      ok: true,
      value: { status: 'MORE', totalMatches: 111, users: [{ employeeNo: '1', name: 'A' }] },
    });
    expect(
      parseUserInfoSearchPage(
        '{"UserInfoSearch":{"searchID":"s1","responseStatusStrg":"NO MATCH","numOfMatches":0,"totalMatches":0}}',
      ),
    ).toMatchObject({ ok: true, value: { status: 'NO MATCH', users: [] } });
    const page = { searchID: 'x', status: 'OK' as const, numOfMatches: 1, totalMatches: 1, users: [VISITOR] };
    expect(parseUserInfoSearchPage(encodeUserInfoSearchPage(page))).toEqual({ ok: true, value: page });
  });

  it('an error answer instead of a page, or a page that miscounts itself, is TG_ISAPI_USER_INFO', () => {
    for (const bad of [
      '{"statusCode":4,"statusString":"Invalid Operation","subStatusCode":"notSupport"}',
      '{"UserInfoSearch":{"responseStatusStrg":"MORE","numOfMatches":2,"UserInfo":[{"employeeNo":"1"}]}}',
      '<ResponseStatus/>',
    ])
      expect(parseUserInfoSearchPage(bad)).toMatchObject({
        ok: false,
        error: { code: 'TG_ISAPI_USER_INFO' },
      });
  });
});

describe('terminal-local time', () => {
  it('an instant is written as Shanghai wall time, to the second, without an offset', () => {
    expect(formatIsapiLocalTime(SH_0800, 'Asia/Shanghai')).toBe('2026-12-06T08:00:00');
    expect(formatIsapiLocalTime(SH_0800 + 999, 'Asia/Shanghai')).toBe('2026-12-06T08:00:00');
    // 16:30 UTC is half past midnight the next day in Shanghai.
    expect(formatIsapiLocalTime(Date.UTC(2026, 11, 6, 16, 30), 'Asia/Shanghai')).toBe('2026-12-07T00:30:00');
    // Berlin in summer is UTC+2.
    expect(formatIsapiLocalTime(Date.UTC(2026, 6, 1, 10, 0), 'Europe/Berlin')).toBe('2026-07-01T12:00:00');
  });

  it('outside 2000–2037 is clamped to the range terminals take', () => {
    expect(formatIsapiLocalTime(0, 'Asia/Shanghai')).toBe('2000-01-01T00:00:00');
    expect(formatIsapiLocalTime(Date.UTC(2050, 0, 1), 'Asia/Shanghai')).toBe('2037-12-31T23:59:59');
  });

  it('read back in the zone, as a fixed offset, or with its own offset', () => {
    expect(parseIsapiLocalTime('2026-12-06T08:00:00', 'Asia/Shanghai')).toEqual({ ok: true, value: SH_0800 });
    expect(parseIsapiLocalTime('2026-12-06T08:00:00', 480)).toEqual({ ok: true, value: SH_0800 });
    expect(parseIsapiLocalTime('2026-12-06T00:00:00Z', 'Asia/Shanghai')).toEqual({
      ok: true,
      value: SH_0800,
    });
    expect(parseIsapiLocalTime('2026-12-06T08:00:00+08:00', 0)).toEqual({ ok: true, value: SH_0800 });
    expect(parseIsapiLocalTime('2026-07-01T12:00:00', 'Europe/Berlin')).toEqual({
      ok: true,
      value: Date.UTC(2026, 6, 1, 10, 0),
    });
  });

  it('not a time, or no such day, is TG_ISAPI_LOCAL_TIME', () => {
    for (const bad of ['2026-12-06', '2026-02-30T00:00:00', '1999-12-31T23:59:59', '2026-12-06T24:00:00', ''])
      expect(parseIsapiLocalTime(bad, 'Asia/Shanghai')).toMatchObject({
        ok: false,
        error: { code: 'TG_ISAPI_LOCAL_TIME' },
      });
  });

  it("a visitor's validity admits from its first second through its last, in the terminal's zone", () => {
    expect(isapiUserValidAt(VISITOR, SH_0800 - 1, 480)).toBe(false);
    expect(isapiUserValidAt(VISITOR, SH_0800, 480)).toBe(true);
    // 17:59:59.999 Shanghai is still inside; 18:00:00 is not.
    const sh1800 = SH_0800 + 10 * 3600_000;
    expect(isapiUserValidAt(VISITOR, sh1800 - 1, 480)).toBe(true);
    expect(isapiUserValidAt(VISITOR, sh1800, 480)).toBe(false);
    // Validity not enabled: always admitted.
    expect(isapiUserValidAt({ ...VISITOR, valid: { ...VISITOR.valid, enable: false } }, sh1800, 480)).toBe(
      true,
    );
  });
});
