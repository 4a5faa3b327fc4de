import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ReadingRecord } from '../gate/messages.ts';
import { decodeEmployeeTag, encodeEmployeeTag, pointTimeNs } from './influx-schema.ts';
import { readingLines, readingToLine, readingToLogLine } from './influx-line.ts';

describe('pointTimeNs', () => {
  it('is at * 1e6 + seq mod 1e6, exactly, as a decimal string', () => {
    expect(pointTimeNs(1_700_000_000_123, 7)).toBe('1700000000123000007');
    expect(pointTimeNs(1_700_000_000_123, 1_234_567)).toBe('1700000000123234567');
    expect(pointTimeNs(0, 5)).toBe('5');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.nat(), (at, seq) => {
        expect(BigInt(pointTimeNs(at, seq))).toBe(BigInt(at) * 1_000_000n + BigInt(seq % 1_000_000));
      }),
    );
  });

  it('keeps consecutive seqs of one millisecond apart and inside that millisecond', () => {
    const a = BigInt(pointTimeNs(1000, 41));
    const b = BigInt(pointTimeNs(1000, 42));
    expect(b - a).toBe(1n);
    expect(b / 1_000_000n).toBe(1000n);
  });
});

describe('employeeNo tag encoding', () => {
  it('keeps ordinary employee numbers readable and omits the empty one', () => {
    for (const e of ['E0001', '张三-01', 'A B,C=D', '"x"']) expect(encodeEmployeeTag(e)).toBe(e);
    expect(encodeEmployeeTag('')).toBeNull();
  });

  it('hex-encodes what a tag cannot hold, and round-trips everything', () => {
    expect(encodeEmployeeTag('a\\b')).toBe('~615c62');
    expect(encodeEmployeeTag('~x')).toBe('~7e78');
    fc.assert(
      fc.property(fc.string({ maxLength: 64, unit: 'binary' }), (e) => {
        expect(decodeEmployeeTag(encodeEmployeeTag(e))).toBe(e);
      }),
    );
  });
});

describe('readingToLine', () => {
  it('writes the exact line protocol of a reading: escaped tags, typed fields, nulls absent', () => {
    const line = readingToLine({
      v: 1,
      id: 's1:g 1:7',
      siteId: 's1',
      gateId: 'g-1',
      seq: 7,
      at: 1_700_000_000_123,
      recordedAt: 1_700_000_000_200,
      employeeNo: 'E 1,x',
      temperatureTenths: 373,
      rawTenths: 370,
      offsetTenths: 3,
      ambientTenths: null,
      source: 'gate-thermometer',
      sensor: 'modbus-ir',
      sensorSeq: 12,
      decision: 'flagged',
      reason: 'fever',
      mask: 'yes',
      pairingDelayMs: 250,
      terminalId: 'T1',
      terminalSerialNo: 1042,
      realtime: true,
      released: false,
      enteredBy: 'say "hi"\\',
      policyVersion: null,
      thresholdTenths: null,
    });
    expect(line).toBe(
      'reading,decision=flagged,gateId=g-1,siteId=s1,source=gate-thermometer,employeeNo=E\\ 1\\,x ' +
        'v=1i,id="s1:g 1:7",seq=7i,recordedAt=1700000000200i,temperatureC=37.3,temperatureTenths=373i,' +
        'rawTenths=370i,offsetTenths=3i,sensor="modbus-ir",sensorSeq=12i,reason="fever",mask="yes",' +
        'pairingDelayMs=250i,terminalId="T1",terminalSerialNo=1042i,realtime=true,released=false,' +
        'enteredBy="say \\"hi\\"\\\\" 1700000000123000007',
    );
  });
});

describe('readingToLogLine (HR log projection, issue 22)', () => {
  const base: ReadingRecord = {
    v: 1,
    id: 's1:g 1:7',
    siteId: 's1',
    gateId: 'g 1',
    seq: 7,
    at: 1_700_000_000_123,
    recordedAt: 1_700_000_000_200,
    employeeNo: 'line\nbreak',
    temperatureTenths: 373,
    rawTenths: 370,
    offsetTenths: 3,
    ambientTenths: null,
    source: 'handheld',
    sensor: 'manual',
    sensorSeq: null,
    decision: 'manual',
    reason: 'manual-entry',
    mask: 'no',
    pairingDelayMs: null,
    terminalId: null,
    terminalSerialNo: null,
    realtime: false,
    released: false,
    enteredBy: 'say "hi"',
    policyVersion: null,
    thresholdTenths: null,
  };

  it('a reading of a known person with a temperature: few tags, the log fields, the same point time', () => {
    // employeeNo as the tag would hold it (a newline is hex-encoded), in a string field.
    expect(readingToLogLine(base)).toBe(
      'reading_log,gateId=g\\ 1,siteId=s1 id="s1:g 1:7",seq=7i,employeeNo="~6c696e650a627265616b",' +
        'temperatureTenths=373i,source="handheld",decision="manual",mask="no",enteredBy="say \\"hi\\"" 1700000000123000007',
    );
    expect(readingLines(base)).toEqual([readingToLine(base), readingToLogLine(base)]);
  });

  it('none for what the logs never read: no temperature, an unknown face', () => {
    expect(readingToLogLine({ ...base, temperatureTenths: null })).toBeNull();
    expect(readingToLogLine({ ...base, employeeNo: '' })).toBeNull();
    expect(readingLines({ ...base, employeeNo: '' })).toEqual([readingToLine({ ...base, employeeNo: '' })]);
  });
});
