import { afterEach, describe, expect, it } from 'vitest';
import { HoldStage, LiftReason } from '../../protocols/site/holds.ts';
import { parseDates, parseTenths } from './app/admin/policy.ts';
import { activeByPerson, fromFeed, roomText, stageText } from './app/holds-model.ts';
import { asPersonLog } from './app/hr/log-model.ts';
import { setLang, TABLES } from './app/i18n.ts';
import { personHold } from '../../test/doubles/site/person-hold.ts';

afterEach(() => setLang('zh'));

describe('holds on the pages', () => {
  it('every hold stage and lift reason has words in both languages', () => {
    const need = [
      ...HoldStage.options.map((s) => `hold.stage.${s}`),
      ...LiftReason.options.map((r) => `hold.liftReason.${r}`),
    ];
    expect(need.filter((k) => !(k in TABLES.zh))).toEqual([]);
  });

  it("the card says the hold's stage and the room the gate named, in the plans' words", () => {
    setLang('zh');
    expect(stageText('fever')).toBe('已隔离，待复测');
    expect(stageText('referred-to-hospital')).toBe('已送发热门诊/定点医院');
    expect(roomText({ room: { id: 'r-a2', name: '隔离室 A2' } })).toBe('临时隔离室 隔离室 A2');
    expect(roomText({ room: null })).toContain('隔离区');
    setLang('en');
    expect(roomText({ room: { id: 'r-a2', name: 'A2' } })).toBe('Temporary isolation room A2');
  });

  it('keeps active holds by person; reads the feed event', () => {
    const base = { since: 1, updatedAt: 1, temperatureTenths: 380 };
    const m = activeByPerson([
      personHold({ ...base, employeeNo: 'E1', state: 'active' }),
      personHold({ ...base, employeeNo: 'E2', state: 'lifted' }),
    ]);
    expect([...m.keys()]).toEqual(['E1']);
    expect(fromFeed({ version: 3, holds: [] })).toEqual([]);
    expect(fromFeed({ nope: 1 })).toBeNull();
  });
});

describe('policy form parsing', () => {
  it('temperatures in °C with one decimal become tenths; anything else is refused', () => {
    expect(parseTenths('37.3')).toBe(373);
    expect(parseTenths(' 38 ')).toBe(380);
    expect(parseTenths('37.35')).toBeNull();
    expect(parseTenths('3.7')).toBeNull();
  });
  it('dates one a line or separated, sorted and without repeats; the first bad one named', () => {
    expect(parseDates('2026-10-02\n2026-10-01, 2026-10-01')).toEqual({
      dates: ['2026-10-01', '2026-10-02'],
      bad: null,
    });
    expect(parseDates('2026-10-01 10/02').bad).toBe('10/02');
  });
});

describe('HR log threshold', () => {
  it("is the server's (the policy's), never the page's own", () => {
    expect(asPersonLog({ employeeNo: 'E1', days: [], thresholdTenths: 380 }, 'E1').thresholdTenths).toBe(380);
    expect(asPersonLog({ employeeNo: 'E1', days: [] }, 'E1').thresholdTenths).toBeNull();
  });
});
