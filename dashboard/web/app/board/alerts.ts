/**
 * The alert queue. Cards are kept per alert id and only their content is redrawn on a change, so
 * a guard typing a re-check temperature does not lose it when the feed brings something else.
 */
import { api } from '../api.ts';
import { errorText } from '../errors.ts';
import { alertDetailText, type DetailContext } from './alert-detail.ts';
import { placeAt } from './gates-model.ts';
import { h, mount } from '../dom.ts';
import { fmtTempC, fmtTime, parseCelsius } from '../format.ts';
import { getLang, t } from '../i18n.ts';
import { type AlertAction, actionsFor } from '../model.ts';
import type { PageContext } from '../router.ts';
import { type PersonHold, roomText, stageText } from '../holds-model.ts';
import type { AlertState, Disposition } from '../types.ts';

interface Card {
  el: HTMLElement;
  info: HTMLElement;
  actions: HTMLElement;
  sig: string;
  actionSig: string;
}

const DISPOSITIONS: Disposition[] = ['cleared-to-enter', 'sent-home', 'referred-to-hospital'];

export class AlertQueue {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly cards = new Map<string, Card>();

  constructor(
    private readonly ctx: PageContext,
    private readonly roomName: (roomId: string | null) => string | null,
    private readonly onChanged: (a: AlertState) => void,
    /** The person's active hold at the hub (stage and the room the gate named), if any. */
    private readonly holdOf: (employeeNo: string) => PersonHold | undefined = () => undefined,
    /** What the detail line needs from the rest of the board (a gate's terminal clock offset). */
    private readonly detailContext: (a: AlertState) => DetailContext = () => ({}),
  ) {
    this.list = h('ol', { class: 'alerts', 'data-testid': 'alerts' });
    this.empty = h('p', { class: 'muted big' }, t('board.noAlerts'));
    this.el = h(
      'section',
      { class: 'panel alerts-panel' },
      h('h2', null, t('board.alerts')),
      this.empty,
      this.list,
    );
  }

  render(alerts: AlertState[]): void {
    const seen = new Set<string>();
    let i = 0;
    for (const a of alerts) {
      seen.add(a.id);
      let card = this.cards.get(a.id);
      if (!card) {
        const info = h('div', { class: 'alert-info' });
        const actions = h('div', { class: 'alert-actions' });
        card = {
          el: h('li', { class: 'alert', 'data-alert-id': a.id }, info, actions),
          info,
          actions,
          sig: '',
          actionSig: '',
        };
        this.cards.set(a.id, card);
      }
      const room = this.roomName(a.roomId);
      const hold = a.employeeNo ? this.holdOf(a.employeeNo) : undefined;
      const sig = `${a.updatedAt}|${a.state}|${a.stage}|${a.occurrences}|${room}|${hold ? `${hold.updatedAt}|${hold.stage}` : ''}`;
      if (sig !== card.sig) {
        card.sig = sig;
        card.el.className = `alert sev-${a.severity} ${a.state === 'active-unacknowledged' ? 'unacked' : ''}`;
        card.el.dataset.kind = a.kind;
        card.el.dataset.state = a.state;
        card.el.dataset.stage = a.stage ?? '';
        mount(card.info, this.info(a, room), hold ? this.holdLine(hold) : null);
      }
      const acts = actionsFor(a);
      const actionSig = acts.join(',');
      if (actionSig !== card.actionSig) {
        card.actionSig = actionSig;
        mount(
          card.actions,
          acts.map((x) => this.action(a, x)),
        );
      }
      // Keeps the order of `alerts`, moving a card only when it is out of place: a moved card
      // loses the focus of the re-check field a guard is typing in.
      placeAt(this.list, card.el, i++);
    }
    for (const [id, card] of this.cards) {
      if (!seen.has(id)) {
        card.el.remove();
        this.cards.delete(id);
      }
    }
    this.empty.hidden = alerts.length > 0;
  }

  private info(a: AlertState, room: string | null): Node[] {
    const tz = this.ctx.me.site.timezone;
    const lang = getLang();
    const person =
      a.employeeNo || a.name ? `${a.employeeNo ?? ''} ${a.name ?? ''}`.trim() : t('alert.noPerson');
    const roomText =
      a.stage === null
        ? null
        : a.roomId
          ? (room ?? a.roomId)
          : a.stage === 'waiting-for-room'
            ? t('alert.noRoom')
            : null;
    return [
      h(
        'div',
        { class: 'alert-head' },
        h('span', { class: `badge sev-${a.severity}` }, t(`severity.${a.severity}`)),
        h('span', { class: 'kind' }, t(`alertKind.${a.kind}`)),
        h('span', { class: 'lifecycle' }, a.stage ? t(`stage.${a.stage}`) : t(`lifecycle.${a.state}`)),
        a.escalated ? h('span', { class: 'badge escalated' }, t('alert.escalated')) : null,
      ),
      h(
        'div',
        { class: 'alert-main' },
        h('span', { class: 'person', 'data-testid': 'alert-person' }, person),
        a.temperatureTenths !== null
          ? h(
              'span',
              // Fever red only for a high temperature: a 36.5 °C unknown face is not a fever (issue #18).
              { class: `alert-temp ${a.kind === 'fever' ? 'high' : 'normal'}`, 'data-testid': 'alert-temp' },
              fmtTempC(a.temperatureTenths),
            )
          : null,
        h('span', { class: 'gate' }, gatePlace(a.gateId)),
        roomText ? h('span', { class: 'room', 'data-testid': 'alert-room' }, `→ ${roomText}`) : null,
      ),
      h(
        'div',
        { class: 'alert-meta muted' },
        `${t('alert.raisedAt')} ${fmtTime(a.raisedAt, tz, lang)}`,
        a.occurrences > 1 ? ` · ${t('alert.occurrences', { n: a.occurrences })}` : '',
        a.acknowledgedBy ? ` · ${t('alert.ackedBy', { who: a.acknowledgedBy })}` : '',
        ` · `,
        h('span', { 'data-testid': 'alert-detail' }, alertDetailText(a, this.detailContext(a))),
      ),
    ];
  }

  /** "隔离状态：已隔离，待复测 · 临时隔离室 隔离室 A2": what the hub holds, as the gate said it. */
  private holdLine(hold: PersonHold): HTMLElement {
    return h(
      'div',
      { class: 'alert-hold', 'data-testid': 'alert-hold' },
      t('alert.held', { stage: stageText(hold.stage) }),
      ' · ',
      h('span', { 'data-testid': 'alert-hold-room' }, roomText(hold)),
    );
  }

  private async run(a: AlertState, path: string, body: unknown, done: string): Promise<boolean> {
    try {
      const r = await api.post<AlertState | { alert: AlertState }>(
        `/api/alerts/${encodeURIComponent(a.id)}/${path}`,
        body,
      );
      const next = r && typeof r === 'object' && 'alert' in r ? r.alert : (r as AlertState);
      if (next && typeof next === 'object' && 'id' in next) this.onChanged(next);
      this.ctx.toast(done);
      return true;
    } catch (err) {
      this.ctx.toast(errorText(err), 'error');
      return false;
    }
  }

  private action(a: AlertState, x: AlertAction): HTMLElement {
    switch (x) {
      case 'ack':
        return button('action.ack', 'ack', (b) => this.runButton(b, a, 'ack', {}, t('done.ack')));
      case 'arrival':
        return a.stage === 'waiting-for-room'
          ? button('action.arrivalArea', 'arrival', (b) =>
              this.runButton(b, a, 'arrival', {}, t('done.arrivalArea')),
            )
          : button('action.arrival', 'arrival', (b) =>
              this.runButton(b, a, 'arrival', {}, t('done.arrival')),
            );
      case 'clear':
        return button('action.clear', 'clear', (b) => this.runButton(b, a, 'clear', {}, t('done.clear')));
      case 'recheck':
        return this.recheckForm(a);
      case 'close':
        return this.closeForm(a);
    }
  }

  private async runButton(b: HTMLButtonElement, a: AlertState, path: string, body: unknown, done: string) {
    b.disabled = true;
    if (!(await this.run(a, path, body, done))) b.disabled = false;
  }

  private recheckForm(a: AlertState): HTMLElement {
    const temp = h('input', {
      name: 'temperature',
      inputmode: 'decimal',
      placeholder: '36.8',
      size: 5,
      'aria-label': t('recheck.temp'),
      'data-testid': 'recheck-temp',
    });
    const instrument = h(
      'select',
      { name: 'instrument', 'aria-label': t('recheck.instrument') },
      h('option', { value: 'handheld' }, t('instrument.handheld')),
      h('option', { value: 'contact' }, t('instrument.contact')),
    );
    const err = h('span', { class: 'error' });
    const submit = h('button', { type: 'submit', 'data-action': 'recheck' }, t('action.recheck'));
    return h(
      'form',
      {
        class: 'inline recheck',
        onsubmit: async (ev: Event) => {
          ev.preventDefault();
          const p = parseCelsius(temp.value);
          if (!p.ok) {
            err.textContent = t(`recheck.bad.${p.reason}`);
            temp.focus();
            return;
          }
          err.textContent = '';
          submit.disabled = true;
          const ok = await this.run(
            a,
            'recheck',
            { temperatureTenths: p.tenths, instrument: instrument.value },
            t('done.recheck'),
          );
          submit.disabled = false;
          if (ok) temp.value = '';
        },
      },
      h('label', null, `${t('recheck.temp')} (°C)`, temp),
      instrument,
      submit,
      err,
    );
  }

  private closeForm(a: AlertState): HTMLElement {
    const disposition = h(
      'select',
      { name: 'disposition', 'aria-label': t('close.disposition'), 'data-testid': 'close-disposition' },
      h('option', { value: '' }, t('close.choose')),
      DISPOSITIONS.map((d) => h('option', { value: d }, t(`disposition.${d}`))),
    );
    const note = h('input', {
      name: 'note',
      placeholder: t('close.note'),
      maxlength: 200,
      'aria-label': t('close.note'),
    });
    const err = h('span', { class: 'error' });
    const submit = h(
      'button',
      { type: 'submit', class: 'primary', 'data-action': 'close' },
      t('action.close'),
    );
    return h(
      'form',
      {
        class: 'inline close',
        onsubmit: async (ev: Event) => {
          ev.preventDefault();
          if (!disposition.value) {
            err.textContent = t('close.chooseFirst');
            return;
          }
          err.textContent = '';
          submit.disabled = true;
          const body = note.value.trim()
            ? { disposition: disposition.value, note: note.value.trim() }
            : { disposition: disposition.value };
          if (!(await this.run(a, 'close', body, t('done.close')))) submit.disabled = false;
        },
      },
      disposition,
      note,
      submit,
      err,
    );
  }
}

function button(label: Parameters<typeof t>[0], action: string, onClick: (b: HTMLButtonElement) => void) {
  const b: HTMLButtonElement = h(
    'button',
    { type: 'button', 'data-action': action, onclick: () => onClick(b) },
    t(label),
  );
  return b;
}

/** Kept here for the pages that import it from the board (moved to errors.ts). */
export { errorText } from '../errors.ts';

/** Where an alert happened: its gate, or "not at a gate" for what was registered by hand ('manual'). */
export function gatePlace(gateId: string): string {
  return gateId === 'manual' ? t('alert.noGate') : `${t('alert.gate')} ${gateId}`;
}
