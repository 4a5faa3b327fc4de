/**
 * The ISAPI codecs on the datasheet's bytes (devices.md §5) and RFC 7616's Digest example.
 * Expected values come from those documents, not from the code.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AlertStreamReader,
  buildDigestAuthorization,
  digestMatches,
  encodeMultipartPush,
  encodeRemoteCheck,
  encodeStreamPart,
  md5Hex,
  parseDeviceInfo,
  parseDigestAuthorization,
  parseDigestChallenge,
  parseIsapiEvent,
  parseRemoteCheck,
  parseResponseStatus,
  readIsapiPush,
} from './index.ts';

/** §5's example event, byte for byte as the datasheet prints it. */
const SPEC_EVENT = `{
  "ipAddress": "10.0.0.21", "portNo": 80, "protocol": "HTTP", "macAddress": "a4:d5:c2:00:00:01",
  "channelID": 1, "dateTime": "2026-12-06T08:01:02+08:00", "activePostCount": 1,
  "eventType": "AccessControllerEvent", "eventState": "active",
  "eventDescription": "Access Controller Event",
  "AccessControllerEvent": {
    "deviceName": "Gate 1 terminal", "majorEventType": 5, "subEventType": 75,
    "name": "张伟", "employeeNoString": "E10023", "cardReaderNo": 1,
    "serialNo": 1042, "userType": "normal", "currentVerifyMode": "face",
    "mask": "yes", "currTemperature": 36.6, "thermometryUnit": "celsius",
    "isAbnomalTemperature": false, "remoteCheck": true, "picturesNumber": 1
  }
}`;
const spec = () =>
  JSON.parse(SPEC_EVENT) as Record<string, unknown> & { AccessControllerEvent: Record<string, unknown> };
const withInner = (patch: Record<string, unknown>, outer: Record<string, unknown> = {}) => {
  const e = spec();
  return JSON.stringify({ ...e, ...outer, AccessControllerEvent: { ...e.AccessControllerEvent, ...patch } });
};
/** JPEG start and end markers around filler: what matters is that it is binary and sizeable. */
const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  Buffer.alloc(20_000, 0xa5),
  Buffer.from([0xff, 0xd9]),
]);

describe('event JSON (§5)', () => {
  it('the datasheet example is a realtime matched face with 36.6 °C at 08:01:02+08:00', () => {
    const r = parseIsapiEvent(SPEC_EVENT);
    if (!r.ok) throw r.error;
    expect(r.value.kind).toBe('face');
    if (r.value.kind !== 'face') return;
    expect(r.value.event).toMatchObject({
      serialNo: 1042,
      employeeNo: 'E10023',
      name: '张伟',
      mask: 'yes',
      temperatureTenths: 366,
      terminalAbnormal: false,
      remoteCheck: true,
      isRealtime: true,
      at: Date.UTC(2026, 11, 6, 0, 1, 2),
    });
    expect(r.value.deviceName).toBe('Gate 1 terminal');
  });

  it('76 is a face that matched nobody: no employee, whatever else the firmware put there', () => {
    const r = parseIsapiEvent(withInner({ subEventType: 76, employeeNoString: '', name: undefined }));
    expect(r.ok && r.value.kind === 'face' && r.value.event.employeeNo).toBe('');
    const r2 = parseIsapiEvent(withInner({ subEventType: 76, employeeNoString: undefined }));
    expect(r2.ok && r2.value.kind === 'face' && r2.value.event.employeeNo).toBe('');
  });

  it('a re-sent event (activePostCount > 1) is not realtime: stored, never actuates', () => {
    const r = parseIsapiEvent(withInner({}, { activePostCount: 2 }));
    expect(r.ok && r.value.kind === 'face' && r.value.event.isRealtime).toBe(false);
  });

  it('takes activePostCount as the string some firmwares print ("1" realtime, "3" re-sent)', () => {
    const first = parseIsapiEvent(withInner({}, { activePostCount: '1' }));
    expect(first.ok && first.value.kind === 'face' && first.value.event.isRealtime).toBe(true);
    const again = parseIsapiEvent(withInner({}, { activePostCount: '3' }));
    expect(again.ok && again.value.kind === 'face' && again.value.event.isRealtime).toBe(false);
    expect(parseIsapiEvent(withInner({}, { activePostCount: 'many' })).ok).toBe(false);
  });

  it('a numeric HealthInfo.healthCode (no documented colours) is not read as a health code', () => {
    const r = parseIsapiEvent(withInner({ HealthInfo: { healthCode: 1 } }));
    expect(r.ok && r.value.kind === 'face' && r.value.event.healthCode).toBeUndefined();
  });

  it('takes the corrected spelling isAbnormalTemperature and the old numeric employeeNo', () => {
    const r = parseIsapiEvent(
      withInner({
        isAbnomalTemperature: undefined,
        isAbnormalTemperature: true,
        employeeNoString: undefined,
        employeeNo: 10023,
      }),
    );
    if (!r.ok || r.value.kind !== 'face') throw new Error('expected a face event');
    expect(r.value.event.terminalAbnormal).toBe(true);
    expect(r.value.event.employeeNo).toBe('10023');
  });

  it('takes the access-control fields at the top level (JSON-only firmwares)', () => {
    const e = spec();
    const flat = JSON.stringify({ dateTime: e.dateTime, ...e.AccessControllerEvent });
    const r = parseIsapiEvent(flat);
    expect(r.ok && r.value.kind === 'face' && r.value.event.serialNo).toBe(1042);
  });

  it('an unknown mask value counts as unknown, a missing remoteCheck as false', () => {
    const r = parseIsapiEvent(withInner({ mask: 'partial', remoteCheck: undefined }));
    if (!r.ok || r.value.kind !== 'face') throw new Error('expected a face event');
    expect(r.value.event.mask).toBe('unknown');
    expect(r.value.event.remoteCheck).toBe(false);
  });

  it.each([
    ['door event (major 2)', withInner({ majorEventType: 2, subEventType: 39 })],
    ['other access event (major 5, sub 1)', withInner({ subEventType: 1 })],
    [
      'heartbeat',
      JSON.stringify({
        ipAddress: '10.0.0.21',
        dateTime: '2026-12-06T08:01:02+08:00',
        eventType: 'heartBeat',
      }),
    ],
  ])('%s is acknowledged and ignored', (_n, body) => {
    const r = parseIsapiEvent(body);
    expect(r.ok && r.value.kind).toBe('other');
  });

  it.each([
    ['not JSON', '{"dateTime":', 'TG_ISAPI_NOT_JSON'],
    ['an array', '[]', 'TG_ISAPI_SCHEMA'],
    ['serialNo missing', withInner({ serialNo: undefined }), 'TG_ISAPI_SCHEMA'],
    ['serialNo negative', withInner({ serialNo: -1 }), 'TG_ISAPI_SCHEMA'],
    ['date without offset', withInner({}, { dateTime: '2026-12-06 08:01:02' }), 'TG_ISAPI_SCHEMA'],
    ['temperature as text', withInner({ currTemperature: '36.6' }), 'TG_ISAPI_SCHEMA'],
    ['unknown unit', withInner({ thermometryUnit: 'rankine' }), 'TG_ISAPI_SCHEMA'],
    ['temperature out of any range', withInner({ currTemperature: 1e9 }), 'TG_ISAPI_BAD_TEMPERATURE'],
    ['oversized', withInner({ deviceName: 'x'.repeat(70_000) }), 'TG_ISAPI_TOO_LARGE'],
  ])('%s is refused with a stable code and a reason', (_n, body, code) => {
    const r = parseIsapiEvent(body);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(code);
      expect(r.error.message.length).toBeGreaterThan(code.length + 2);
    }
  });

  it('names the field at fault', () => {
    const r = parseIsapiEvent(withInner({ serialNo: 'x' }));
    expect(!r.ok && r.error.message).toContain('AccessControllerEvent.serialNo');
  });
});

describe('the push body (§5: multipart with event_log or AccessControllerEvent, or JSON alone)', () => {
  const ct = (b: string) => `multipart/form-data; boundary=${b}`;
  const body = (partName: string) =>
    encodeMultipartPush({ boundary: 'MIME_boundary', partName, json: SPEC_EVENT, picture: JPEG });

  it.each(['event_log', 'AccessControllerEvent'])(
    'part %s carries the event; the picture is counted, not kept',
    (name) => {
      const r = readIsapiPush(ct('MIME_boundary'), body(name));
      if (!r.ok) throw r.error;
      expect(r.value.eventJson?.toString()).toBe(SPEC_EVENT);
      expect(r.value.pictureBytes).toBe(JPEG.length);
      expect(r.value.pictures).toEqual([]);
      expect(r.value.complete).toBe(true);
    },
  );

  it('fed one byte at a time, it reads the same', () => {
    const b = body('event_log');
    const { IsapiPushReader } = require_();
    const reader = IsapiPushReader.forContentType(ct('MIME_boundary'));
    if (!reader.ok) throw reader.error;
    for (const byte of b) expect(reader.value.push(Buffer.from([byte])).ok).toBe(true);
    expect(reader.value.end().eventJson?.toString()).toBe(SPEC_EVENT);
  });

  it('a body cut off inside the picture still yields the event', () => {
    const b = body('event_log');
    const cutAt = b.indexOf(JPEG.subarray(0, 4)) + 5000;
    const r = readIsapiPush(ct('MIME_boundary'), b.subarray(0, cutAt), true);
    if (!r.ok) throw r.error;
    expect(r.value.eventJson?.toString()).toBe(SPEC_EVENT);
    expect(r.value.complete).toBe(false);
  });

  it('a body cut inside the event JSON has no event', () => {
    const b = body('event_log');
    const r = readIsapiPush(ct('MIME_boundary'), b.subarray(0, b.indexOf('"serialNo"')), true);
    expect(!r.ok && r.error.code).toBe('TG_ISAPI_NO_EVENT');
  });

  it('a quoted boundary and a JSON-only body are read too', () => {
    const q = readIsapiPush('multipart/form-data; boundary="MIME_boundary"', body('event_log'));
    expect(q.ok).toBe(true);
    const j = readIsapiPush('application/json; charset=UTF-8', Buffer.from(SPEC_EVENT));
    expect(j.ok && j.value.eventJson?.toString()).toBe(SPEC_EVENT);
  });

  it.each([
    ['text/plain', Buffer.from(SPEC_EVENT), 'TG_ISAPI_CONTENT_TYPE'],
    ['multipart/form-data', Buffer.from(SPEC_EVENT), 'TG_ISAPI_CONTENT_TYPE'],
    [ct('nowhere'), Buffer.alloc(9000, 0x41), 'TG_ISAPI_MULTIPART'],
    [ct('b'), Buffer.from('--b\r\nContent-Type: image/jpeg\r\n\r\nxx\r\n--b--\r\n'), 'TG_ISAPI_NO_EVENT'],
  ])('%s is refused with %s', (type, b, code) => {
    const r = readIsapiPush(type, b);
    expect(!r.ok && r.error.code).toBe(code);
  });
});

describe('the alert stream (multipart/mixed, endless)', () => {
  it('yields each event as its part completes, across chunk borders; a cut part is no event', () => {
    const r = AlertStreamReader.forContentType('multipart/mixed; boundary=boundary');
    if (!r.ok) throw r.error;
    const second = withInner({ serialNo: 1043 });
    const bytes = Buffer.concat([
      encodeStreamPart('boundary', SPEC_EVENT),
      encodeStreamPart('boundary', second),
    ]);
    const seen: number[] = [];
    for (let i = 0; i < bytes.length; i += 7) {
      const out = r.value.push(bytes.subarray(i, i + 7));
      if (!out.ok) throw out.error;
      for (const e of out.value) if (e.ok && e.value.kind === 'face') seen.push(e.value.event.serialNo);
    }
    // Both events are out without waiting for a third part's delimiter.
    expect(seen).toEqual([1042, 1043]);
    const cut = encodeStreamPart('boundary', withInner({ serialNo: 1044 }));
    const out = r.value.push(cut.subarray(0, cut.length - 30));
    expect(out.ok && out.value).toEqual([]);
  });
});

describe('HTTP Digest (RFC 7616 §3.9.1, MD5)', () => {
  const CHALLENGE =
    'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, ' +
    'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';

  it('MD5 matches RFC 1321 and node', () => {
    expect(md5Hex('')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(md5Hex('message digest')).toBe('f96b697d7cb7938d525a2f31aaf161d0');
    const long = '体温正常 请通行'.repeat(50);
    expect(md5Hex(long)).toBe(createHash('md5').update(long).digest('hex'));
  });

  it('answers the RFC example with its response 8ca523f5e9506fed4657c9700eebdbec', () => {
    const c = parseDigestChallenge(CHALLENGE);
    if (!c.ok) throw c.error;
    expect(c.value).toMatchObject({
      realm: 'http-auth@example.org',
      qop: ['auth', 'auth-int'],
      stale: false,
    });
    const h = buildDigestAuthorization(c.value, {
      username: 'Mufasa',
      password: 'Circle of Life',
      method: 'GET',
      uri: '/dir/index.html',
      nc: 1,
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    });
    expect(h).toContain('response="8ca523f5e9506fed4657c9700eebdbec"');
    expect(h).toContain('nc=00000001');
    expect(h).toContain('qop=auth,');
    expect(h).toContain('opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"');
    // The server side reads it back and checks it with the password, and only that one.
    const cred = parseDigestAuthorization(h);
    if (!cred.ok) throw cred.error;
    expect(digestMatches(cred.value, 'Circle of Life', 'GET')).toBe(true);
    expect(digestMatches(cred.value, 'circle of life', 'GET')).toBe(false);
    expect(digestMatches(cred.value, 'Circle of Life', 'PUT')).toBe(false);
  });

  it('reads stale=TRUE, a Basic challenge beside it, and several headers', () => {
    const c = parseDigestChallenge([
      'Basic realm="x"',
      'Digest qop="auth", realm="DS-K1T671TM", nonce="abc", stale=TRUE',
    ]);
    expect(c.ok && c.value.stale).toBe(true);
    const joined = parseDigestChallenge('Digest realm="r", nonce="n", qop="auth", Basic realm="r"');
    expect(joined.ok && joined.value.nonce).toBe('n');
  });

  it.each([
    ['no header', undefined],
    ['Basic only', 'Basic realm="x"'],
    ['no nonce', 'Digest realm="x", qop="auth"'],
    ['SHA-512-256 only', 'Digest realm="x", nonce="n", algorithm=SHA-512-256'],
    ['unterminated quote', 'Digest realm="x, nonce="n'],
  ])('%s is refused with TG_ISAPI_DIGEST', (_n, h) => {
    const r = parseDigestChallenge(h);
    expect(!r.ok && r.error.code).toBe('TG_ISAPI_DIGEST');
  });
});

describe('verdict, answers, device info', () => {
  it('the verdict body is §5 byte for byte', () => {
    expect(encodeRemoteCheck({ serialNo: 1042, open: true, display: '36.6°C 体温正常 请通行' })).toBe(
      '{"RemoteCheck":{"serialNo":1042,"checkResult":"success","info":"36.6°C 体温正常 请通行"}}',
    );
    const r = parseRemoteCheck('{"RemoteCheck": {"serialNo": 1042, "checkResult": "failed", "info": "x"}}');
    expect(r.ok && r.value.RemoteCheck.checkResult).toBe('failed');
  });

  it('reads the terminal answer in JSON and XML, and a refusal', () => {
    expect(parseResponseStatus('{"statusCode":1,"statusString":"OK","subStatusCode":"ok"}')).toEqual({
      ok: true,
      value: { statusCode: 1, statusString: 'OK', subStatusCode: 'ok' },
    });
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><ResponseStatus version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">' +
      '<requestURL>/ISAPI/AccessControl/remoteCheck</requestURL><statusCode>6</statusCode>' +
      '<statusString>Invalid Content</statusString><subStatusCode>badParameters</subStatusCode></ResponseStatus>';
    expect(parseResponseStatus(xml)).toMatchObject({
      ok: true,
      value: { statusCode: 6, subStatusCode: 'badParameters' },
    });
    expect(parseResponseStatus('<html>').ok).toBe(false);
  });

  it('reads DeviceInfo as XML (most firmwares) and JSON', () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n<DeviceInfo version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">' +
      '<deviceName>Gate 1 terminal</deviceName><model>DS-K1T671TM-3XF</model>' +
      '<serialNumber>DS-K1T671TM-3XF20201010V030200ENF12345678</serialNumber>' +
      '<macAddress>a4:d5:c2:00:00:01</macAddress><firmwareVersion>V3.2.0</firmwareVersion></DeviceInfo>';
    expect(parseDeviceInfo(xml)).toMatchObject({
      ok: true,
      value: {
        model: 'DS-K1T671TM-3XF',
        firmwareVersion: 'V3.2.0',
        serialNumber: expect.stringContaining('12345678'),
      },
    });
    const json = JSON.stringify({ DeviceInfo: { model: 'M', serialNumber: 'S', firmwareVersion: 'F' } });
    expect(parseDeviceInfo(json)).toMatchObject({ ok: true, value: { model: 'M' } });
    expect(parseDeviceInfo('<ResponseStatus/>').ok).toBe(false);
  });
});

// The reader class, imported lazily so the one-byte test reads like the others.
import * as push from './push.ts';
function require_() {
  return push;
}
