import { describe, expect, it } from 'vitest';
import { AlertLifecycle, Disposition, EpisodeStage } from '../../protocols/dashboard/messages.ts';
import { OfflineReason } from '../../protocols/hub/fleet.ts';
import {
  AlertKind,
  CommandRefusal,
  Decision,
  GateState,
  Severity,
  TemperatureSource,
  ThermometerState,
} from '../../protocols/gate/messages.ts';
import { TABLES, translate } from './app/i18n.ts';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('zh-CN and English tables', () => {
  const zhKeys = Object.keys(TABLES.zh).sort();

  it('have the same keys, none empty', () => {
    expect(Object.keys(TABLES.en).sort()).toEqual(zhKeys);
    for (const lang of ['zh', 'en'] as const)
      for (const [k, v] of Object.entries(TABLES[lang])) expect(v.trim(), `${lang} ${k}`).not.toBe('');
  });

  it('use the same placeholders in both languages', () => {
    for (const k of zhKeys) {
      const zh = TABLES.zh[k as keyof typeof TABLES.zh];
      const en = TABLES.en[k as keyof typeof TABLES.en];
      expect(placeholders(en), k).toEqual(placeholders(zh));
    }
  });

  it('name every value the wire can carry', () => {
    const need = [
      ...AlertKind.options.map((x) => `alertKind.${x}`),
      ...Severity.options.map((x) => `severity.${x}`),
      ...AlertLifecycle.options.map((x) => `lifecycle.${x}`),
      ...EpisodeStage.options.map((x) => `stage.${x}`),
      ...Disposition.options.map((x) => `disposition.${x}`),
      ...Decision.options.map((x) => `decision.${x}`),
      ...ThermometerState.options.map((x) => `therm.${x}`),
      ...OfflineReason.options.map((x) => `offline.${x}`),
      ...GateState.options.map((x) => `gateState.${x}`),
      ...TemperatureSource.options.map((x) => `source.${x}`),
      ...['pending', 'acknowledged', 'failed', 'timed-out'].map((x) => `cmd.state.${x}`),
      ...['open-once', 'lockdown', 'release-lockdown'].map((x) => `cmd.kind.${x}`),
      ...CommandRefusal.options.map((x) => `cmd.refused.${x}`),
      ...['complete', 'morning-missing', 'afternoon-missing', 'absent', 'fever'].map((x) => `status.${x}`),
      ...['guard', 'hr', 'admin'].map((x) => `role.${x}`),
    ];
    const missing = need.filter((k) => !(k in TABLES.zh));
    expect(missing).toEqual([]);
  });

  it('fills placeholders and shows an unknown key as itself', () => {
    expect(translate(TABLES.en, 'alert.occurrences', { n: 3 })).toBe('3 times');
    expect(translate(TABLES.zh, 'alert.occurrences', { n: 3 })).toBe('共 3 次');
    expect(translate(TABLES.en, 'no.such.key')).toBe('no.such.key');
  });
});
