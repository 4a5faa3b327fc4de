/**
 * One tile per gate: online, thermometer, last passage, today's counts, and the guard's commands
 * (open once with a reason, lockdown, release) with the state of the last one sent.
 */
import { api } from '../api.ts';
import { h, mount } from '../dom.ts';
import { fmtTempC, fmtTime } from '../format.ts';
import { getLang, type Key, t } from '../i18n.ts';
import type { PageContext } from '../router.ts';
import type { CommandKind, CommandView, GateTile } from '../types.ts';
import { errorText } from '../errors.ts';
import { CLOCK_TOLERANCE_MS, gateProblems, placeAt } from './gates-model.ts';

const RULE_LABELS: Record<string, Key> = {
  feverThresholdTenths: 'policy.feverThreshold',
  plausibleMinTenths: 'policy.plausibleMin',
  plausibleMaxTenths: 'policy.plausibleMax',
  maskRequired: 'policy.maskRequired',
  healthCodeRequired: 'policy.healthCodeRequired',
  accessListRequired: 'policy.accessListRequired',
  minSimilarity: 'policy.minSimilarity',
};

/** A site rule's short name (the policy page's label without its explanation in brackets). */
const ruleName = (key: string): string => {
  const k = RULE_LABELS[key];
  return k
    ? t(k)
        .replace(/[（(].*$/, '')
        .trim()
    : key;
};

interface Tile {
  el: HTMLElement;
  info: HTMLElement;
  cmdState: HTMLElement;
  form: HTMLElement;
}

export class GateTiles {
  readonly el: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly tiles = new Map<string, Tile>();

  constructor(
    private readonly ctx: PageContext,
    private readonly onCommand: (c: CommandView) => void,
  ) {
    this.grid = h('div', { class: 'tiles', 'data-testid': 'gates' });
    this.el = h('section', { class: 'panel gates-panel' }, h('h2', null, t('board.gates')), this.grid);
  }

  render(gates: GateTile[], lastCommand: (gateId: string) => CommandView | undefined): void {
    const seen = new Set<string>();
    let i = 0;
    for (const g of [...gates].sort((a, b) => a.gateId.localeCompare(b.gateId))) {
      seen.add(g.gateId);
      let tile = this.tiles.get(g.gateId);
      if (!tile) {
        const info = h('div', { class: 'tile-info' });
        const cmdState = h('div', { class: 'cmd-state', 'data-testid': 'cmd-state' });
        const form = h('div', { class: 'cmd-form' });
        tile = {
          el: h('article', { class: 'tile', 'data-gate': g.gateId }, info, cmdState, form),
          info,
          cmdState,
          form,
        };
        mount(form, this.commandButtons(g.gateId, tile));
        this.tiles.set(g.gateId, tile);
      }
      const problems = gateProblems(g);
      tile.el.classList.toggle('offline', problems.length > 0);
      tile.el.dataset.down = problems.length > 0 ? 'true' : 'false';
      tile.el.classList.toggle('lockdown', g.gateState === 'lockdown');
      mount(tile.info, this.info(g));
      const c = lastCommand(g.gateId);
      tile.cmdState.dataset.state = c?.state ?? '';
      mount(
        tile.cmdState,
        c
          ? `${t(`cmd.kind.${c.kind}`)}: ${t(`cmd.state.${c.state}`)} (${fmtTime(c.at, this.ctx.me.site.timezone, getLang())})`
          : '',
      );
      // Only a tile out of place is moved: moving it would take the focus (and the guard's
      // half-typed open-once reason, IME composition included) away on every refresh.
      placeAt(this.grid, tile.el, i++);
    }
    for (const [id, tile] of this.tiles) {
      if (!seen.has(id)) {
        tile.el.remove();
        this.tiles.delete(id);
      }
    }
  }

  private info(g: GateTile): (Node | null)[] {
    const tz = this.ctx.me.site.timezone;
    const p = g.lastPassage;
    const problems = gateProblems(g);
    const offset = g.terminalClockOffsetMs;
    return [
      h(
        'header',
        null,
        h('span', { class: 'gate-id' }, g.gateId),
        h(
          'span',
          { class: `pill ${problems.length === 0 ? 'ok' : 'bad'}`, 'data-testid': 'gate-online' },
          !g.online ? t('gate.offline') : problems.length > 0 ? t('gate.down') : t('gate.online'),
        ),
      ),
      problems.some((x) => x !== 'gate-offline')
        ? h(
            'div',
            { class: 'problems', 'data-testid': 'gate-problems' },
            problems
              .filter((x) => x !== 'gate-offline')
              .map((x) => h('span', { class: 'pill bad', 'data-problem': x }, t(`gate.problem.${x}` as Key))),
          )
        : null,
      g.policyOverrides.length > 0
        ? h(
            'div',
            { class: 'overrides muted small', 'data-testid': 'gate-overrides' },
            t('gate.overrides', { rules: g.policyOverrides.map(ruleName).join('、') }),
          )
        : null,
      offset !== null && Math.abs(offset) > CLOCK_TOLERANCE_MS
        ? h(
            'div',
            { class: 'clock warn small', 'data-testid': 'gate-clock' },
            t('gate.clock', { s: (offset / 1000).toFixed(1) }),
          )
        : null,
      h(
        'div',
        { class: 'tile-row' },
        h(
          'span',
          { class: `pill therm-${g.thermometer}` },
          `${t('gate.thermometer')}: ${t(`therm.${g.thermometer}`)}`,
        ),
        g.gateState !== 'locked'
          ? h('span', { class: `pill state-${g.gateState}` }, t(`gateState.${g.gateState}`))
          : null,
      ),
      h(
        'div',
        { class: 'last', 'data-testid': 'last-passage' },
        p
          ? [
              h('span', { class: 'time' }, fmtTime(p.at, tz, getLang())),
              h('span', { class: 'last-temp' }, fmtTempC(p.temperatureTenths)),
              h('span', { class: `result dec-${p.decision}` }, t(`decision.${p.decision as 'pass'}`)),
            ]
          : h('span', { class: 'muted' }, t('gate.noPassage')),
      ),
      p
        ? h('div', { class: 'who muted' }, `${p.employeeNo} ${p.name ?? ''}`.trim() || t('alert.noPerson'))
        : null,
      !g.online && g.offlineReason
        ? h('div', { class: 'offline-reason' }, t(`offline.${g.offlineReason}`))
        : null,
      h(
        'div',
        { class: 'counts' },
        h(
          'span',
          null,
          t('gate.passedToday'),
          h('b', { 'data-testid': 'passed-today' }, String(g.passedToday)),
        ),
        h(
          'span',
          null,
          t('gate.flaggedToday'),
          h('b', { class: 'flagged', 'data-testid': 'flagged-today' }, String(g.flaggedToday)),
        ),
      ),
    ];
  }

  private commandButtons(gateId: string, tile: Tile): HTMLElement[] {
    const ask = (kind: CommandKind) => mount(tile.form, this.commandForm(gateId, kind, tile));
    return [
      h(
        'button',
        { type: 'button', 'data-cmd': 'open-once', onclick: () => ask('open-once') },
        t('cmd.kind.open-once'),
      ),
      h(
        'button',
        { type: 'button', 'data-cmd': 'lockdown', class: 'danger', onclick: () => ask('lockdown') },
        t('cmd.kind.lockdown'),
      ),
      h(
        'button',
        { type: 'button', 'data-cmd': 'release-lockdown', onclick: () => ask('release-lockdown') },
        t('cmd.kind.release-lockdown'),
      ),
    ];
  }

  /** Every command asks once more (a reason; for lockdown a confirmation): a gate is not a toy. */
  private commandForm(gateId: string, kind: CommandKind, tile: Tile): HTMLElement {
    const reason = h('input', {
      name: 'reason',
      maxlength: 200,
      required: kind === 'open-once',
      placeholder: kind === 'open-once' ? t('cmd.reasonRequired') : t('cmd.reasonOptional'),
      'aria-label': t('cmd.reason'),
      'data-testid': 'cmd-reason',
    });
    const back = () => mount(tile.form, this.commandButtons(gateId, tile));
    const submit = h(
      'button',
      { type: 'submit', class: kind === 'lockdown' ? 'danger' : 'primary' },
      t('cmd.send'),
    );
    const form = h(
      'form',
      {
        class: 'inline',
        onsubmit: async (ev: Event) => {
          ev.preventDefault();
          const why = reason.value.trim();
          if (kind === 'open-once' && !why) {
            reason.focus();
            return;
          }
          submit.disabled = true;
          try {
            const c = await api.post<CommandView>(`/api/gates/${encodeURIComponent(gateId)}/commands`, {
              kind,
              reason: why,
            });
            if (c && typeof c === 'object' && 'id' in c) this.onCommand(c);
            this.ctx.toast(t('cmd.sent', { kind: t(`cmd.kind.${kind}`), gate: gateId }));
            back();
          } catch (err) {
            this.ctx.toast(errorText(err), 'error');
            submit.disabled = false;
          }
        },
      },
      h('strong', null, t(`cmd.kind.${kind}`)),
      reason,
      submit,
      h('button', { type: 'button', onclick: back }, t('common.cancel')),
    );
    queueMicrotask(() => reason.focus());
    return form;
  }
}
