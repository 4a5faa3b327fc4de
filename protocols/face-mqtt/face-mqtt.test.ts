import { describe, expect, it } from 'vitest';
import { FaceVerdict, fitDisplay, parseFaceEvent, parseFaceStatus } from './index.ts';

const SPEC_EVENT = {
  serialNo: 1042,
  dateTime: '2026-11-29T08:01:02.345+08:00',
  employeeNoString: 'E10023',
  name: '张伟',
  similarity: 0.93,
  mask: 'yes',
  currTemperature: 36.6,
  thermometryUnit: 'celsius',
  isAbnomalTemperature: false,
  remoteCheck: true,
  isRealtime: true,
};

describe('face event', () => {
  it('parses the spec example and converts the temperature to tenths', () => {
    const r = parseFaceEvent(JSON.stringify(SPEC_EVENT));
    if (!r.ok) throw r.error;
    expect(r.value).toMatchObject({
      serialNo: 1042,
      employeeNo: 'E10023',
      name: '张伟',
      temperatureTenths: 366,
      terminalAbnormal: false,
      remoteCheck: true,
      isRealtime: true,
      at: Date.UTC(2026, 10, 29, 0, 1, 2, 345),
    });
  });

  it('accepts bytes as they come from mqtt.js', () => {
    expect(parseFaceEvent(Buffer.from(JSON.stringify(SPEC_EVENT))).ok).toBe(true);
  });

  it('tolerates the correct spelling isAbnormalTemperature', () => {
    const { isAbnomalTemperature: _, ...rest } = SPEC_EVENT;
    const r = parseFaceEvent(JSON.stringify({ ...rest, isAbnormalTemperature: true }));
    expect(r.ok && r.value.terminalAbnormal).toBe(true);
  });

  it.each([
    ['fahrenheit', 99.1, 373],
    ['fahrenheit', 98.6, 370],
    ['kelvin', 309.75, 366],
    ['kelvin', 310.45, 373],
    ['celsius', 37.25, 373],
    ['celsius', 37.24, 372],
  ] as const)('converts %s %f to %i tenths of °C', (unit, value, tenths) => {
    const r = parseFaceEvent(
      JSON.stringify({ ...SPEC_EVENT, currTemperature: value, thermometryUnit: unit }),
    );
    expect(r.ok && r.value.temperatureTenths).toBe(tenths);
  });

  it('an event without a thermometer has no temperature', () => {
    const { currTemperature: _a, thermometryUnit: _b, isAbnomalTemperature: _c, ...rest } = SPEC_EVENT;
    const r = parseFaceEvent(JSON.stringify({ ...rest, employeeNoString: '' }));
    if (!r.ok) throw r.error;
    expect(r.value.temperatureTenths).toBeUndefined();
    expect(r.value.employeeNo).toBe('');
  });

  it.each([
    ['not json', '{serialNo:', 'TG_MSG_NOT_JSON'],
    ['negative serialNo', JSON.stringify({ ...SPEC_EVENT, serialNo: -1 }), 'TG_MSG_SCHEMA'],
    ['date without offset', JSON.stringify({ ...SPEC_EVENT, dateTime: '2026-11-29 08:01' }), 'TG_MSG_SCHEMA'],
    ['similarity over 1', JSON.stringify({ ...SPEC_EVENT, similarity: 1.5 }), 'TG_MSG_SCHEMA'],
    ['unknown mask', JSON.stringify({ ...SPEC_EVENT, mask: 'maybe' }), 'TG_MSG_SCHEMA'],
    ['unknown unit', JSON.stringify({ ...SPEC_EVENT, thermometryUnit: 'rankine' }), 'TG_MSG_SCHEMA'],
    ['temperature as string', JSON.stringify({ ...SPEC_EVENT, currTemperature: '36.6' }), 'TG_MSG_SCHEMA'],
    ['missing remoteCheck', JSON.stringify({ ...SPEC_EVENT, remoteCheck: undefined }), 'TG_MSG_SCHEMA'],
    ['array', '[]', 'TG_MSG_SCHEMA'],
    ['oversized', JSON.stringify({ ...SPEC_EVENT, name: 'x'.repeat(9000) }), 'TG_MSG_TOO_LARGE'],
  ])('rejects %s with a typed error', (_name, payload, code) => {
    const r = parseFaceEvent(payload);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(code);
      expect(r.error.message.length).toBeGreaterThan(code.length);
    }
  });

  it('names the offending field in the reason', () => {
    const r = parseFaceEvent(JSON.stringify({ ...SPEC_EVENT, similarity: 2 }));
    expect(!r.ok && r.error.message).toContain('similarity');
  });
});

describe('verdict, ack, status', () => {
  it('the spec verdict validates; 65 characters does not', () => {
    const v = {
      serialNo: 1042,
      checkResult: 'success',
      open: true,
      display: '36.6°C 体温正常 请通行',
      lang: 'zh-CN',
    };
    expect(FaceVerdict.safeParse(v).success).toBe(true);
    expect(FaceVerdict.safeParse({ ...v, display: '体'.repeat(65) }).success).toBe(false);
    expect([...fitDisplay('体'.repeat(70))].length).toBe(64);
  });

  it('status accepts bare and quoted words', () => {
    expect(parseFaceStatus('online')).toEqual({ ok: true, value: 'online' });
    expect(parseFaceStatus('"offline"')).toEqual({ ok: true, value: 'offline' });
    expect(parseFaceStatus('maybe').ok).toBe(false);
  });
});
