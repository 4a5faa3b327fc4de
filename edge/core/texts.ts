/**
 * What the terminal's screen says, in the site's language. At most 64 characters (the terminal's
 * limit); the temperature comes first so a guard at the gate can read it at a glance.
 */
import type { Decision, DecisionReason } from '../../protocols/gate/messages.ts';
import { fitDisplay } from '../../protocols/face-mqtt/index.ts';
import { formatTenths } from '../../protocols/temperature.ts';

export type Lang = 'zh-CN' | 'en';

const T = {
  'zh-CN': {
    ok: '体温正常 请通行',
    fever: (area: string) => `体温异常 请前往${area}`,
    // Not 复测: that word is the guard's contact re-check in the isolation room (the plans' wording).
    remeasure: '测温无效，请重测',
    'sensor-fault': '测温设备故障，请重测',
    'thermometer-offline': '测温设备离线 请稍候',
    'unknown-face': '未识别人员 禁止通行',
    'not-on-access-list': '无通行权限',
    'mask-missing': '请佩戴口罩',
    'health-code': '健康码异常 禁止通行',
    lockdown: '闸机已锁定',
    late: '请重新识别',
    'held-fever': (room: string) => `体温异常未解除 请前往${room}`,
    'held-home': '请持医院健康证明返岗 禁止通行',
    'held-manual': '暂停通行 请联系保卫处',
  },
  en: {
    ok: 'Normal. Please pass',
    fever: (area: string) => `High temperature. Go to ${area}`,
    remeasure: 'Please measure again',
    'sensor-fault': 'Thermometer fault. Measure again',
    'thermometer-offline': 'Thermometer offline. Please wait',
    'unknown-face': 'Not recognised. No entry',
    'not-on-access-list': 'No access permission',
    'mask-missing': 'Please wear a mask',
    'health-code': 'Health code not green. No entry',
    lockdown: 'Gate locked',
    late: 'Please try again',
    'held-fever': (room: string) => `Temperature check pending. Go to ${room}`,
    'held-home': 'Hospital certificate needed. No entry',
    'held-manual': 'No entry. Please see security',
  },
} as const;

export function displayText(
  lang: Lang,
  decision: Decision,
  reason: DecisionReason,
  temperatureTenths: number | null,
  isolationArea: string,
): string {
  const t = T[lang];
  const temp = temperatureTenths !== null ? `${formatTenths(temperatureTenths)}°C ` : '';
  let msg: string;
  if (decision === 'pass') msg = t.ok;
  else if (reason === 'late') msg = t.late;
  else if (decision === 'flagged') msg = t.fever(isolationArea);
  else if (reason === 'sensor-fault' || reason === 'thermometer-offline') msg = t[reason];
  else if (decision === 'remeasure') msg = t.remeasure;
  else if (reason in t) msg = t[reason as keyof typeof t] as string;
  else msg = t.remeasure;
  return fitDisplay(`${temp}${msg}`);
}

const NOT_RECORDING = {
  'zh-CN': '无法记录 暂停通行 请联系管理员',
  en: 'Cannot record. No entry. Call staff',
} as const;

/** The gate cannot keep this person's reading (storage full, policy 'refuse'): shut, and why. */
export function notRecordingText(lang: Lang, temperatureTenths: number | null): string {
  const temp = temperatureTenths !== null ? `${formatTenths(temperatureTenths)}°C ` : '';
  return fitDisplay(`${temp}${NOT_RECORDING[lang]}`);
}

/**
 * What a held person is told: the room their hold names (the guard's card shows the same), the
 * isolation area when none is free, or that they need a hospital's certificate.
 */
export function heldText(
  lang: Lang,
  stage: 'fever' | 'sent-home' | 'referred-to-hospital' | 'manual',
  temperatureTenths: number | null,
  place: string,
): string {
  const t = T[lang];
  const temp = temperatureTenths !== null ? `${formatTenths(temperatureTenths)}°C ` : '';
  const msg =
    stage === 'fever' ? t['held-fever'](place) : stage === 'manual' ? t['held-manual'] : t['held-home'];
  return fitDisplay(`${temp}${msg}`);
}

/** Alert detail for a terminal whose clock is off: the guard sees by how much. */
export function terminalClockText(lang: Lang, offsetMs: number, active: boolean): string {
  const sign = offsetMs >= 0 ? '慢' : '快';
  const s = Math.abs(offsetMs) / 1000;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = (s % 60).toFixed(1);
  const span = h > 0 ? `${h}小时${m}分${sec}秒` : m > 0 ? `${m}分${sec}秒` : `${sec}秒`;
  if (lang === 'zh-CN')
    return active ? `人脸终端时钟比闸机${sign}${span}，请校准终端时间（NTP）` : '人脸终端时钟已恢复正常';
  const enSpan = `${(offsetMs / 1000).toFixed(1)} s`;
  return active
    ? `face terminal clock off by ${enSpan} from the gate's; set its time (NTP)`
    : 'face terminal clock back in sync';
}
