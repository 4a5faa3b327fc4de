/**
 * "Record a manual reading": employee number, temperature (°C, one decimal), instrument, an
 * optional time (site time) and gate. Shared by the guard's board and HR's page. Mistakes are
 * caught before sending; the server's refusals (not on the access list, a reading it will not
 * keep) are shown next to the form with the server's words, and nothing is half-recorded.
 */
import { ApiError, api } from '../api.ts';
import { errorText } from '../board/alerts.ts';
import { h, mount } from '../dom.ts';
import { fmtDateTime, fmtTempC } from '../format.ts';
import { t } from '../i18n.ts';
import type { PageContext } from '../router.ts';
import type { ReadingRecord } from '../types.ts';
import { checkManualInput, INSTRUMENTS, type Message, manualRefusal } from './model.ts';

export interface ManualForm {
  el: HTMLFormElement;
  /** The gates a guard may name; the choice survives a redraw with the same gate still there. */
  setGates(gateIds: string[]): void;
}

const say = (m: Message) => t(m.key, m.params);

export function manualReadingForm(
  ctx: PageContext,
  opts: { linkToLog: boolean; onRecorded?: (r: ReadingRecord) => void },
): ManualForm {
  const tz = ctx.me.site.timezone;
  const employeeNo = h('input', {
    name: 'employeeNo',
    required: true,
    maxlength: 64,
    autocomplete: 'off',
    'data-testid': 'manual-employee',
  });
  const temp = h('input', {
    name: 'temperature',
    inputmode: 'decimal',
    placeholder: '36.8',
    size: 5,
    required: true,
    'data-testid': 'manual-temp',
  });
  const instrument = h(
    'select',
    { name: 'instrument', 'data-testid': 'manual-instrument' },
    INSTRUMENTS.map((i) => h('option', { value: i }, t(`instrument.${i}`))),
  );
  const time = h('input', {
    name: 'at',
    type: 'datetime-local',
    step: 60,
    'data-testid': 'manual-time',
  });
  const noGate = h('option', { value: '' }, t('manual.noGate'));
  const gate = h('select', { name: 'gateId', 'data-testid': 'manual-gate' }, noGate);
  const submit = h(
    'button',
    { type: 'submit', class: 'primary', 'data-testid': 'manual-submit' },
    t('manual.submit'),
  );
  const result = h('div', { class: 'manual-result', role: 'status', 'data-testid': 'manual-result' });
  let gateIds: string[] = [];

  const refuse = (message: string, detail?: string, focus?: HTMLElement) => {
    mount(
      result,
      h('p', { class: 'error', 'data-testid': 'manual-error' }, message),
      detail ? h('p', { class: 'muted small' }, detail) : null,
    );
    focus?.focus();
  };

  const send = async () => {
    const check = checkManualInput(
      {
        employeeNo: employeeNo.value,
        celsius: temp.value,
        instrument: instrument.value,
        time: time.value,
        gateId: gate.value,
      },
      tz,
      Date.now(),
    );
    if (!check.ok) {
      const focus = { employeeNo, temperature: temp, time }[check.field];
      return refuse(say(check.message), undefined, focus);
    }
    mount(result);
    submit.disabled = true;
    try {
      const { reading } = await api.post<{ reading: ReadingRecord }>('/api/manual-readings', check.body);
      mount(
        result,
        h(
          'p',
          { class: 'ok', 'data-testid': 'manual-ok' },
          t('manual.recorded', {
            no: reading.employeeNo ?? check.body.employeeNo,
            temp: fmtTempC(reading.temperatureTenths),
            time: fmtDateTime(reading.at, tz),
          }),
          opts.linkToLog
            ? [
                ' ',
                h(
                  'a',
                  {
                    href: `#/hr/person?no=${encodeURIComponent(check.body.employeeNo)}`,
                    'data-testid': 'manual-log-link',
                  },
                  t('manual.viewLog'),
                ),
              ]
            : null,
        ),
      );
      ctx.toast(t('manual.done'));
      employeeNo.value = '';
      temp.value = '';
      time.value = '';
      opts.onRecorded?.(reading);
    } catch (err) {
      const known =
        err instanceof ApiError ? manualRefusal(err.code, err.message, check.body.employeeNo) : null;
      if (known && err instanceof ApiError) refuse(say(known), `${err.message} (${err.code})`);
      else refuse(errorText(err));
    } finally {
      submit.disabled = false;
    }
  };

  const el = h(
    'form',
    {
      class: 'manual-form',
      'data-testid': 'manual-form',
      novalidate: true,
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        if (!submit.disabled) void send();
      },
    },
    h(
      'div',
      { class: 'fields' },
      h('label', null, t('hr.employeeNo'), employeeNo),
      h('label', null, t('manual.temp'), temp),
      h('label', null, t('manual.instrument'), instrument),
      h('label', null, t('manual.time'), time),
      h('label', null, t('manual.gate'), gate),
    ),
    h('p', { class: 'muted small' }, t('manual.timeHelp', { tz: tzName(tz) })),
    h('div', { class: 'actions' }, submit),
    result,
  );

  return {
    el,
    setGates(ids) {
      const next = [...new Set(ids)].sort();
      if (next.join('\n') === gateIds.join('\n')) return;
      gateIds = next;
      const chosen = gate.value;
      mount(
        gate,
        noGate,
        next.map((g) => h('option', { value: g }, g)),
      );
      gate.value = next.includes(chosen) ? chosen : '';
    },
  };
}

/** The site's zone as people say it: 北京时间 for China's one zone, otherwise its IANA name. */
function tzName(tz: string): string {
  return tz === 'Asia/Shanghai' || tz === 'Asia/Chongqing' || tz === 'PRC' ? t('tz.china') : tz;
}
