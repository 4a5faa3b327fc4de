import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DecisionInput, decide, type PolicyConfig } from './policy.ts';

const P: PolicyConfig = {
  feverThresholdTenths: 373,
  plausibleMinTenths: 340,
  plausibleMaxTenths: 420,
  maskRequired: true,
  healthCodeRequired: false,
  accessListRequired: true,
  minSimilarity: 0.8,
};
const ok = { valid: true, sensorFault: false, belowRange: false, aboveRange: false };
const person: DecisionInput = {
  employeeNo: 'E1',
  similarity: 0.93,
  mask: 'yes',
  admitted: true,
  held: false,
  temperature: { tenths: 366, ...ok },
  thermometerOffline: false,
  lockdown: false,
  fireAlarm: false,
  recordable: true,
  mode: 'live',
};

describe('decide', () => {
  it.each([
    [366, 'pass', 'ok', true],
    [372, 'pass', 'ok', true],
    [373, 'flagged', 'fever', false],
    [374, 'flagged', 'fever', false],
    [420, 'flagged', 'fever', false],
    [421, 'remeasure', 'above-range', false],
    [339, 'remeasure', 'below-range', false],
    [340, 'pass', 'ok', true],
  ])('%i tenths → %s (%s)', (tenths, decision, reason, release) => {
    expect(decide({ ...person, temperature: { tenths, ...ok } }, P)).toEqual({ decision, reason, release });
  });

  it('a fever is flagged even for an unknown face without a mask, and even for a held person', () => {
    expect(
      decide({ ...person, employeeNo: '', mask: 'no', temperature: { tenths: 380, ...ok } }, P).decision,
    ).toBe('flagged');
    expect(decide({ ...person, held: true, temperature: { tenths: 380, ...ok } }, P).decision).toBe(
      'flagged',
    );
  });

  it('a held person is refused at a normal temperature, and told why', () => {
    expect(decide({ ...person, held: true, temperature: { tenths: 365, ...ok } }, P)).toEqual({
      decision: 'denied',
      reason: 'held',
      release: false,
    });
  });

  it('a face match below the minimum similarity is an unknown face (it borrows nobody’s hold or entry)', () => {
    expect(decide({ ...person, similarity: 0.79 }, P)).toEqual({
      decision: 'denied',
      reason: 'unknown-face',
      release: false,
    });
    expect(decide({ ...person, similarity: 0.8 }, P).decision).toBe('pass');
    expect(decide({ ...person, similarity: 0.1 }, { ...P, minSimilarity: 0 }).decision).toBe('pass');
  });

  it.each([
    [{ employeeNo: '' }, 'unknown-face'],
    [{ admitted: false }, 'not-on-access-list'],
    [{ mask: 'no' as const }, 'mask-missing'],
    [{ mask: 'unknown' as const }, 'mask-missing'],
    [{ lockdown: true }, 'lockdown'],
    [{ mode: 'late' as const }, 'late'],
    [{ recordable: false }, 'not-recording'],
  ])('denies %o', (patch, reason) => {
    expect(decide({ ...person, ...patch }, P)).toEqual({ decision: 'denied', reason, release: false });
  });

  it('an offline record keeps what the rules say and never releases', () => {
    expect(decide({ ...person, mode: 'offline' }, P)).toEqual({
      decision: 'pass',
      reason: 'offline-record',
      release: false,
    });
    expect(decide({ ...person, mode: 'offline', fireAlarm: true }, P).release).toBe(false);
    expect(decide({ ...person, mode: 'offline', temperature: { tenths: 385, ...ok } }, P).decision).toBe(
      'flagged',
    );
  });

  it('health code is enforced only where the site requires it', () => {
    expect(decide({ ...person, healthCode: 'yellow' }, P).decision).toBe('pass');
    expect(decide({ ...person, healthCode: 'yellow' }, { ...P, healthCodeRequired: true }).reason).toBe(
      'health-code',
    );
    expect(decide({ ...person }, { ...P, healthCodeRequired: true }).reason).toBe('health-code');
    expect(decide({ ...person, healthCode: 'green' }, { ...P, healthCodeRequired: true }).decision).toBe(
      'pass',
    );
  });

  it.each([
    [undefined, false, 'no-measurement'],
    [undefined, true, 'thermometer-offline'],
    [{ tenths: 366, ...ok, sensorFault: true }, false, 'sensor-fault'],
    [{ tenths: 366, ...ok, valid: false }, false, 'no-measurement'],
    [{ tenths: 366, ...ok, belowRange: true }, false, 'below-range'],
    [{ tenths: 366, ...ok, aboveRange: true }, false, 'above-range'],
  ])('re-measure when the temperature is not usable (%o)', (temperature, offline, reason) => {
    expect(decide({ ...person, temperature, thermometerOffline: offline }, P)).toEqual({
      decision: 'remeasure',
      reason,
      release: false,
    });
  });

  it('the access list and mask rules can be turned off', () => {
    const open = { ...P, accessListRequired: false, maskRequired: false };
    expect(decide({ ...person, admitted: false, mask: 'no' }, open).decision).toBe('pass');
  });
});

describe('decide: properties over every input', () => {
  const temperature = fc.option(
    fc.record({
      tenths: fc.integer({ min: -100, max: 600 }),
      valid: fc.boolean(),
      sensorFault: fc.boolean(),
      belowRange: fc.boolean(),
      aboveRange: fc.boolean(),
    }),
    { nil: undefined },
  );
  const input = fc.record({
    employeeNo: fc.oneof(fc.constant(''), fc.string({ minLength: 1, maxLength: 8 })),
    similarity: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
    mask: fc.constantFrom('yes', 'no', 'unknown'),
    healthCode: fc.option(fc.constantFrom('green', 'yellow', 'red'), { nil: undefined }),
    admitted: fc.boolean(),
    held: fc.boolean(),
    temperature,
    thermometerOffline: fc.boolean(),
    lockdown: fc.boolean(),
    fireAlarm: fc.boolean(),
    recordable: fc.boolean(),
    mode: fc.constantFrom('live', 'late', 'offline'),
  }) as fc.Arbitrary<DecisionInput>;
  const policy = fc.record({
    feverThresholdTenths: fc.integer({ min: 360, max: 390 }),
    plausibleMinTenths: fc.integer({ min: 300, max: 350 }),
    plausibleMaxTenths: fc.integer({ min: 400, max: 450 }),
    maskRequired: fc.boolean(),
    healthCodeRequired: fc.boolean(),
    accessListRequired: fc.boolean(),
    minSimilarity: fc.double({ min: 0, max: 1, noNaN: true }),
  });

  it('outside a fire alarm, releases only a live, recordable, known, admitted, unheld person with a normal reading', () => {
    fc.assert(
      fc.property(input, policy, (i, p) => {
        const out = decide(i, p);
        if (!out.release || i.fireAlarm) return true;
        const t = i.temperature;
        expect(t).toBeDefined();
        if (!t) return false;
        expect(i.mode).toBe('live');
        expect(i.recordable).toBe(true);
        expect(i.held).toBe(false);
        expect(t.tenths).toBeLessThan(p.feverThresholdTenths);
        expect(t.valid && !t.sensorFault && !t.belowRange && !t.aboveRange).toBe(true);
        expect(t.tenths).toBeGreaterThanOrEqual(p.plausibleMinTenths);
        expect(t.tenths).toBeLessThanOrEqual(p.plausibleMaxTenths);
        expect(i.employeeNo).not.toBe('');
        if (i.similarity !== undefined) expect(i.similarity).toBeGreaterThanOrEqual(p.minSimilarity);
        if (p.accessListRequired) expect(i.admitted).toBe(true);
        if (p.maskRequired) expect(i.mask).toBe('yes');
        if (p.healthCodeRequired) expect(i.healthCode).toBe('green');
        expect(i.lockdown).toBe(false);
        return true;
      }),
      { numRuns: 20_000 },
    );
  });

  it('the record tells the truth: a live or late `pass` is released, and anything released outside a fire alarm is a `pass`', () => {
    fc.assert(
      fc.property(input, policy, (i, p) => {
        const out = decide(i, p);
        if (i.mode !== 'offline' && out.decision === 'pass') expect(out.release).toBe(true);
        if (out.release && !i.fireAlarm) expect(out.decision).toBe('pass');
        return true;
      }),
      { numRuns: 20_000 },
    );
  });

  it('a fever or a hold is never turned into a pass, whatever else holds', () => {
    fc.assert(
      fc.property(input, policy, (i, p) => {
        const out = decide(i, p);
        const t = i.temperature;
        const fever =
          t?.valid &&
          !t.sensorFault &&
          !t.aboveRange &&
          !t.belowRange &&
          t.tenths >= p.feverThresholdTenths &&
          t.tenths <= p.plausibleMaxTenths &&
          t.tenths >= p.plausibleMinTenths;
        if (fever) expect(out.decision).toBe('flagged');
        if (i.held) expect(out.decision).not.toBe('pass');
        return true;
      }),
      { numRuns: 20_000 },
    );
  });

  it('a fire alarm releases every live passage and nothing else', () => {
    fc.assert(
      fc.property(
        input,
        policy,
        (i, p) => decide({ ...i, fireAlarm: true }, p).release === (i.mode === 'live'),
      ),
    );
  });
});
