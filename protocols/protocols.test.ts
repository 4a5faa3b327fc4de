import { describe, expect, it } from 'vitest';
import { isAdmitted } from './gate/access-list.ts';
import { GpioSimServerMessage, LineSplitter } from './gate/gpio-sim.ts';
import { formatTenths, toTenthsCelsius } from './temperature.ts';
import { FaceTopic, GateTopic, parseFaceTopic, parseGateTopic } from './topics.ts';

describe('topics', () => {
  it('face topics are the spec names and parse back', () => {
    expect(FaceTopic.event('T1')).toBe('face/T1/event');
    expect(FaceTopic.verdict('T1')).toBe('face/T1/verdict');
    expect(FaceTopic.ack('T1')).toBe('face/T1/ack');
    expect(FaceTopic.status('T1')).toBe('face/T1/status');
    expect(parseFaceTopic('face/T1/event')).toEqual({ deviceId: 'T1', kind: 'event' });
    expect(parseFaceTopic('face/T1/x')).toBeUndefined();
  });

  it('gate topics parse back', () => {
    expect(parseGateTopic(GateTopic.commandAck('s1', 'g-2'))).toEqual({
      siteId: 's1',
      gateId: 'g-2',
      kind: 'command-ack',
    });
    expect(parseGateTopic('tg/s1/gate/g1/nope')).toBeUndefined();
  });
});

describe('temperature', () => {
  it('formats tenths', () => {
    expect(formatTenths(373)).toBe('37.3');
    expect(formatTenths(-5)).toBe('-0.5');
    expect(formatTenths(0)).toBe('0.0');
  });
  it('rejects non-finite values', () => {
    expect(toTenthsCelsius(Number.NaN)).toBeUndefined();
    expect(toTenthsCelsius(Number.POSITIVE_INFINITY)).toBeUndefined();
  });
});

describe('access list', () => {
  const base = { employeeNo: 'V1', name: '', department: '', kind: 'visitor' as const };
  it('visitor validity window is half-open', () => {
    const e = { ...base, validFrom: 1000, validUntil: 2000 };
    expect(isAdmitted(e, 999)).toBe(false);
    expect(isAdmitted(e, 1000)).toBe(true);
    expect(isAdmitted(e, 2000)).toBe(false);
    expect(isAdmitted(undefined, 1500)).toBe(false);
    expect(isAdmitted({ ...base, validFrom: null, validUntil: null }, 0)).toBe(true);
  });
});

describe('gpio-sim wire', () => {
  it('splits lines across chunks', () => {
    const s = new LineSplitter();
    expect(s.push('{"t":"out","line":"rel')).toEqual([]);
    const lines = s.push('ease","value":1,"at":5}\n{"t"');
    expect(lines).toHaveLength(1);
    expect(GpioSimServerMessage.parse(JSON.parse(lines[0] as string))).toEqual({
      t: 'out',
      line: 'release',
      value: 1,
      at: 5,
    });
  });
});
