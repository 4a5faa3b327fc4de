import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DecisionInput, decide, type PolicyConfig, releases } from './policy.ts';

const P: PolicyConfig = {
  feverThresholdTenths: 373,
  plausibleMinTenths: 340,
  plausibleMaxTenths: 420,
  maskRequired: true,
  healthCodeRequired: false,
  accessListRequired: true,
};
const ok = { valid: true, sensorFault: false, belowRange: false, aboveRange: false };
const person: DecisionInput = {
  employeeNo: 'E1',
  mask: 'yes',
  admitted: true,
  temperature: { tenths: 366, ...ok },
  thermometerOffline: false,
  lockdown: false,
};

describe('decide', () => {
  it.each([
    [366, 'pass', 'ok'],
    [372, 'pass', 'ok'],
    [373, 'flagged', 'fever'],
    [374, 'flagged', 'fever'],
    [420, 'flagged', 'fever'],
    [421, 'remeasure', 'above-range'],
    [339, 'remeasure', 'below-range'],
    [340, 'pass', 'ok'],
  ])('%i tenths → %s (%s)', (tenths, decision, reason) => {
    expect(decide({ ...person, temperature: { tenths, ...ok } }, P)).toEqual({ decision, reason });
  });

  it('a fever is flagged even for an unknown face without a mask', () => {
    expect(
      decide({ ...person, employeeNo: '', mask: 'no', temperature: { tenths: 380, ...ok } }, P).decision,
    ).toBe('flagged');
  });

  it.each([
    [{ employeeNo: '' }, 'unknown-face'],
    [{ admitted: false }, 'not-on-access-list'],
    [{ mask: 'no' as const }, 'mask-missing'],
    [{ mask: 'unknown' as const }, 'mask-missing'],
    [{ lockdown: true }, 'lockdown'],
  ])('denies %o', (patch, reason) => {
    expect(decide({ ...person, ...patch }, P)).toEqual({ decision: 'denied', reason });
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
    });
  });

  it('the access list and mask rules can be turned off', () => {
    const open = { ...P, accessListRequired: false, maskRequired: false };
    expect(decide({ ...person, admitted: false, mask: 'no' }, open).decision).toBe('pass');
  });
});

describe('releases: property over random passages', () => {
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
    mask: fc.constantFrom('yes', 'no', 'unknown'),
    healthCode: fc.option(fc.constantFrom('green', 'yellow', 'red'), { nil: undefined }),
    admitted: fc.boolean(),
    temperature,
    thermometerOffline: fc.boolean(),
    lockdown: fc.boolean(),
  }) as fc.Arbitrary<DecisionInput>;
  const policy = fc.record({
    feverThresholdTenths: fc.integer({ min: 360, max: 390 }),
    plausibleMinTenths: fc.integer({ min: 300, max: 350 }),
    plausibleMaxTenths: fc.integer({ min: 400, max: 450 }),
    maskRequired: fc.boolean(),
    healthCodeRequired: fc.boolean(),
    accessListRequired: fc.boolean(),
  });

  it('never releases a fever, an unusable reading, an unknown face or an unauthorised person outside a fire alarm', () => {
    fc.assert(
      fc.property(input, policy, (i, p) => {
        const out = decide(i, p);
        if (!releases(out, false)) return true;
        const t = i.temperature;
        expect(t).toBeDefined();
        if (!t) return false;
        expect(t.tenths).toBeLessThan(p.feverThresholdTenths);
        expect(t.valid && !t.sensorFault && !t.belowRange && !t.aboveRange).toBe(true);
        expect(t.tenths).toBeGreaterThanOrEqual(p.plausibleMinTenths);
        expect(t.tenths).toBeLessThanOrEqual(p.plausibleMaxTenths);
        expect(i.employeeNo).not.toBe('');
        if (p.accessListRequired) expect(i.admitted).toBe(true);
        if (p.maskRequired) expect(i.mask).toBe('yes');
        if (p.healthCodeRequired) expect(i.healthCode).toBe('green');
        expect(i.lockdown).toBe(false);
        return true;
      }),
      { numRuns: 20_000 },
    );
  });

  it('a fire alarm always releases', () => {
    fc.assert(fc.property(input, policy, (i, p) => releases(decide(i, p), true)));
  });
});
