/**
 * The site policy (admins edit, everyone else reads): the rules every gate decides with and the
 * working-day calendar HR's checks count against (working weekdays, holidays, make-up days 调休,
 * the morning/afternoon split). Saving asks the hub, which gives it the next version; an edit of
 * an outdated version is refused by the hub (somebody else changed it meanwhile).
 */
import type { SitePolicy } from '../../../../protocols/site/policy.ts';
import { api } from '../api.ts';
import { errorText } from '../board/alerts.ts';
import { h, mount } from '../dom.ts';
import { fmtTime } from '../format.ts';
import { getLang, t } from '../i18n.ts';
import type { Render } from '../router.ts';
import { load } from './ui.ts';

/** "37.3" → 373; null when not a temperature with at most one decimal. */
export function parseTenths(s: string): number | null {
  const m = /^\s*(\d{2})(?:\.(\d))?\s*$/.exec(s);
  return m ? Number(m[1]) * 10 + Number(m[2] ?? 0) : null;
}

/** One date a line (or separated by commas/spaces); the first bad one is returned as `bad`. */
export function parseDates(s: string): { dates: string[]; bad: string | null } {
  const dates: string[] = [];
  for (const d of s.split(/[\s,，;；]+/).filter(Boolean)) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d) || Number.isNaN(Date.parse(`${d}T00:00:00Z`)))
      return { dates, bad: d };
    dates.push(d);
  }
  return { dates: [...new Set(dates)].sort(), bad: null };
}

export const renderPolicy: Render = (root, ctx) => {
  const body = h('div', { 'data-testid': 'policy' });
  const admin = ctx.me.user.role === 'admin';

  const draw = (p: SitePolicy) => {
    const temp = (name: string, tenths: number) =>
      h('input', { name, value: (tenths / 10).toFixed(1), inputmode: 'decimal', size: 5, disabled: !admin });
    const check = (name: string, on: boolean) =>
      h('input', { name, type: 'checkbox', checked: on, disabled: !admin });
    const threshold = temp('feverThreshold', p.rules.feverThresholdTenths);
    const min = temp('plausibleMin', p.rules.plausibleMinTenths);
    const max = temp('plausibleMax', p.rules.plausibleMaxTenths);
    const mask = check('maskRequired', p.rules.maskRequired);
    const healthCode = check('healthCodeRequired', p.rules.healthCodeRequired);
    const accessList = check('accessListRequired', p.rules.accessListRequired);
    const similarity = h('input', {
      name: 'minSimilarity',
      type: 'number',
      min: 0,
      max: 1,
      step: 0.01,
      value: p.rules.minSimilarity,
      disabled: !admin,
    });
    const days = [1, 2, 3, 4, 5, 6, 7].map((d) => ({
      d,
      box: check(`weekday-${d}`, p.calendar.workingDays.includes(d)),
    }));
    const holidays = h('textarea', { name: 'holidays', rows: 4, cols: 14, disabled: !admin });
    holidays.value = p.calendar.holidays.join('\n');
    const extra = h('textarea', { name: 'extraWorkingDays', rows: 4, cols: 14, disabled: !admin });
    extra.value = p.calendar.extraWorkingDays.join('\n');
    const split = h('input', {
      name: 'afternoonFrom',
      type: 'time',
      value: p.calendar.afternoonFrom,
      disabled: !admin,
    });
    const err = h('p', { class: 'error' });

    const submit = async (ev: Event) => {
      ev.preventDefault();
      err.textContent = '';
      const [th, lo, hi] = [threshold, min, max].map((x) => parseTenths(x.value));
      if (th == null || lo == null || hi == null) {
        err.textContent = t('policy.badNumber');
        return;
      }
      const hol = parseDates(holidays.value);
      const ext = parseDates(extra.value);
      const bad = hol.bad ?? ext.bad;
      if (bad) {
        err.textContent = t('policy.badDate', { d: bad });
        return;
      }
      try {
        const next = await api.put<SitePolicy>('/api/policy', {
          baseVersion: p.version,
          rules: {
            feverThresholdTenths: th,
            plausibleMinTenths: lo,
            plausibleMaxTenths: hi,
            maskRequired: mask.checked,
            healthCodeRequired: healthCode.checked,
            accessListRequired: accessList.checked,
            minSimilarity: Number(similarity.value) || 0,
          },
          calendar: {
            workingDays: days.filter((x) => x.box.checked).map((x) => x.d),
            holidays: hol.dates,
            extraWorkingDays: ext.dates,
            afternoonFrom: split.value,
          },
        });
        ctx.toast(t('policy.saved', { v: next.version }));
        draw(next);
      } catch (e) {
        err.textContent = errorText(e);
      }
    };

    mount(
      body,
      h(
        'p',
        { class: 'muted', 'data-testid': 'policy-version' },
        p.version === 0
          ? t('policy.builtIn')
          : `${t('policy.version', { v: p.version, by: p.issuedBy })} · ${fmtTime(p.issuedAt, ctx.me.site.timezone, getLang())}`,
      ),
      admin ? null : h('p', { class: 'muted' }, t('policy.readOnly')),
      h(
        'form',
        { class: 'stack', onsubmit: submit },
        h(
          'fieldset',
          null,
          h('legend', null, t('policy.rules')),
          h('label', null, t('policy.feverThreshold'), threshold),
          h('label', null, t('policy.plausibleMin'), min),
          h('label', null, t('policy.plausibleMax'), max),
          h('label', { class: 'check' }, mask, t('policy.maskRequired')),
          h('label', { class: 'check' }, healthCode, t('policy.healthCodeRequired')),
          h('label', { class: 'check' }, accessList, t('policy.accessListRequired')),
          h('label', null, t('policy.minSimilarity'), similarity),
        ),
        h(
          'fieldset',
          null,
          h('legend', null, t('policy.calendar')),
          h(
            'div',
            { class: 'weekdays' },
            h('span', null, t('policy.workingDays')),
            days.map((x) =>
              h('label', { class: 'check' }, x.box, t(`policy.weekday.${x.d}` as 'policy.weekday.1')),
            ),
          ),
          h('label', null, t('policy.holidays'), holidays),
          h('label', null, t('policy.extraWorkingDays'), extra),
          h('label', null, t('policy.afternoonFrom'), split),
        ),
        admin ? h('button', { type: 'submit', class: 'primary' }, t('policy.save')) : null,
        err,
      ),
    );
  };

  mount(root, h('h1', null, t('nav.policy')), body);
  void load(body, () => api.get<SitePolicy>('/api/policy'), draw);
  return undefined;
};
