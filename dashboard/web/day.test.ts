/**
 * Issue #18 in the page modules, without a browser: alert details said from kind and facts in
 * both languages (no English sentence of the gate's in Chinese), every error code the pages know
 * has a sentence in both languages (never the raw code), and a gate whose terminal or thermometer
 * is down is down.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertState } from '../../protocols/dashboard/messages.ts';
import { AlertKind } from '../../protocols/gate/messages.ts';
import { alertDetailText } from './app/board/alert-detail.ts';
import { asGateTiles, fromFleet, gateProblems } from './app/board/gates-model.ts';
import { ApiError } from './app/api.ts';
import { codeText, errorText, KNOWN_CODES } from './app/errors.ts';
import { setLang, TABLES } from './app/i18n.ts';

const LATIN_WORD = /[A-Za-z]{2,}/;

function alert(p: Partial<AlertState>): AlertState {
  return {
    v: 1,
    id: 'a1',
    siteId: 's',
    gateId: 'gate-a',
    kind: 'fever',
    severity: 'critical',
    state: 'active-unacknowledged',
    raisedAt: 1,
    updatedAt: 1,
    occurrences: 1,
    employeeNo: 'E1',
    name: '张伟',
    temperatureTenths: 381,
    roomId: null,
    stage: null,
    acknowledgedBy: null,
    acknowledgedAt: null,
    clearedAt: null,
    disposition: null,
    escalated: false,
    detail: 'fever; go to isolation room A1 (A1); every isolation room is full: waiting for a room',
    ...p,
  };
}

afterEach(() => setLang('zh'));

describe('alert details in the page’s language', () => {
  it('say every kind in Chinese without a Latin word, whatever English the gate sent', () => {
    setLang('zh');
    for (const kind of AlertKind.options) {
      const text = alertDetailText(
        alert({
          kind,
          detail: 'thermometer offline; condition over, waiting for acknowledgement',
          facts: { conditionActive: false, device: null, deviceId: null, recheckTenths: 369, userNote: null },
        }),
      );
      // Ids (the gate's) are names, not English.
      expect(text.replaceAll('gate-a', ''), kind).not.toMatch(LATIN_WORD);
      expect(text, kind).toContain('设备已恢复');
      expect(text, kind).toContain('复测 36.9 °C');
    }
  });

  it('name the device of a gate-offline alert from the facts: the face terminal or the gate', () => {
    setLang('zh');
    const term = alert({
      kind: 'gate-offline',
      facts: {
        conditionActive: true,
        device: 'terminal',
        deviceId: 'T1',
        recheckTenths: null,
        userNote: null,
      },
    });
    expect(alertDetailText(term)).toBe('人脸终端 T1 离线，该通道无法识别人员');
    const gate = alert({
      kind: 'gate-offline',
      facts: {
        conditionActive: true,
        device: 'gate',
        deviceId: 'gate-a',
        recheckTenths: null,
        userNote: null,
      },
    });
    expect(alertDetailText(gate)).toBe('闸机 gate-a 与集控中心失去联系');
    setLang('en');
    expect(alertDetailText(term)).toBe('face terminal T1 offline: this lane cannot recognise anyone');
  });

  it('give the terminal clock offset from the gate’s status, and the guard’s own words as they were typed', () => {
    setLang('zh');
    expect(alertDetailText(alert({ kind: 'terminal-clock' }), { clockOffsetMs: -5400 })).toBe(
      '人脸终端时钟与闸机相差 -5.4 秒',
    );
    const noted = alert({
      kind: 'sensor-fault',
      facts: {
        conditionActive: true,
        device: null,
        deviceId: null,
        recheckTenths: null,
        userNote: '已通知设备科',
      },
    });
    expect(alertDetailText(noted)).toBe(
      '测温仪故障或读数异常（卡在同一数值），请检查设备；备注：已通知设备科',
    );
    expect(alertDetailText(alert({ stage: 'waiting-for-room' }), { roomsConfigured: true })).toContain(
      '隔离室已满',
    );
  });
});

describe('errors', () => {
  it('every code the pages know has a sentence in both languages, and none shows the raw code', () => {
    for (const code of KNOWN_CODES) {
      const key = `error.${code}`;
      expect(TABLES.zh[key as keyof typeof TABLES.zh], key).toBeTruthy();
      expect(TABLES.en[key as keyof typeof TABLES.en], key).toBeTruthy();
    }
    setLang('zh');
    const text = errorText(new ApiError(409, 'TG_DASH_USER_EXISTS', 'user guard1 exists', null));
    expect(text).toBe('操作失败：该用户名已存在，请换一个。');
    expect(errorText(new ApiError(500, 'TG_DASH_SOMETHING_NEW', 'boom', null))).not.toMatch(LATIN_WORD);
    expect(codeText('TG_NOPE')).not.toContain('TG_');
  });
});

describe('gate tiles', () => {
  const tile = asGateTiles([
    {
      gateId: 'gate-a',
      online: true,
      thermometer: 'online',
      terminalId: 'T1',
      terminalOnline: true,
      policyOverrides: ['maskRequired'],
      terminalClockOffsetMs: 120,
    },
  ])[0];

  it('a gate with a dead face terminal is down, and a fleet snapshot without its terminal keeps what was known', () => {
    if (!tile) throw new Error('no tile');
    expect(gateProblems(tile)).toEqual([]);
    const dead = fromFleet([tile], {
      gates: [{ gateId: 'gate-a', online: true, thermometer: 'online', terminalId: 'T1' }],
      terminals: [{ terminalId: 'T1', gateId: 'gate-a', online: false, offlineReason: 'last-will' }],
    }).gates[0];
    expect(dead && gateProblems(dead)).toEqual(['terminal-offline']);
    const same = fromFleet(dead ? [dead] : [], { gateId: 'gate-a', online: true, thermometer: 'fault' })
      .gates[0];
    expect(same && gateProblems(same)).toEqual(['terminal-offline', 'thermometer-fault']);
    expect(same?.policyOverrides).toEqual(['maskRequired']);
  });
});
