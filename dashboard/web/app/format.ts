/**
 * Display formatting. Temperatures stay integer tenths everywhere; they become "37.3" only here,
 * for display. Times are shown in the site's time zone (not the browser's: a guard's laptop may
 * be set to anything).
 */

export type Lang = 'zh' | 'en';

/** 373 → "37.3"; null → "—". */
export function fmtTemp(tenths: number | null | undefined): string {
  if (tenths === null || tenths === undefined || !Number.isFinite(tenths)) return '—';
  return (tenths / 10).toFixed(1);
}

/** "37.3 °C"; null → "—". */
export function fmtTempC(tenths: number | null | undefined): string {
  const t = fmtTemp(tenths);
  return t === '—' ? t : `${t} °C`;
}

export type CelsiusParse = { ok: true; tenths: number } | { ok: false; reason: 'empty' | 'format' | 'range' };

/**
 * What a guard types from a handheld thermometer ("37.1", "37,1", "37") → tenths. Refuses more
 * than one decimal (a handheld shows one) and anything outside 30.0–45.0 °C, which is a typo
 * rather than a person.
 */
export function parseCelsius(input: string): CelsiusParse {
  const s = input.trim().replace(',', '.');
  if (s === '') return { ok: false, reason: 'empty' };
  if (!/^\d{2}(\.\d)?$/.test(s)) return { ok: false, reason: 'format' };
  const [whole, frac = '0'] = s.split('.') as [string, string?];
  const tenths = Number(whole) * 10 + Number(frac);
  if (tenths < 300 || tenths > 450) return { ok: false, reason: 'range' };
  return { ok: true, tenths };
}

const locale = (lang: Lang) => (lang === 'zh' ? 'zh-CN' : 'en-GB');
const cache = new Map<string, Intl.DateTimeFormat>();
function dtf(lang: Lang, timeZone: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${lang}|${timeZone}|${JSON.stringify(opts)}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale(lang), { timeZone, hourCycle: 'h23', ...opts });
    cache.set(key, f);
  }
  return f;
}

/** "08:01:14" in the site's zone. */
export function fmtTime(ms: number | null | undefined, timeZone: string, lang: Lang): string {
  if (ms === null || ms === undefined) return '—';
  return dtf(lang, timeZone, { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(ms);
}

/** "2024-03-05 08:01" in the site's zone, the same shape in both languages (sortable, unambiguous). */
export function fmtDateTime(ms: number | null | undefined, timeZone: string): string {
  if (ms === null || ms === undefined) return '—';
  const p = parts(ms, timeZone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** The local calendar date "YYYY-MM-DD" of an instant in the site's zone. */
export function localDate(ms: number, timeZone: string): string {
  const p = parts(ms, timeZone);
  return `${p.year}-${p.month}-${p.day}`;
}

/** "YYYY-MM-DD" plus n days (calendar arithmetic, no time zone involved). */
export function addDays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export function isDate(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`));
}

function parts(ms: number, timeZone: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of dtf('en', timeZone, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(ms))
    out[p.type] = p.value;
  return out;
}

/** "3 min" style age for "last seen"; rough on purpose. */
export function fmtAge(ms: number, lang: Lang): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return lang === 'zh' ? `${s} 秒` : `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return lang === 'zh' ? `${m} 分钟` : `${m} min`;
  const hrs = Math.round(m / 60);
  return lang === 'zh' ? `${hrs} 小时` : `${hrs} h`;
}
