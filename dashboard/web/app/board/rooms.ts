/** Isolation rooms with who is in them; and the recent gate commands. */
import { h, mount } from '../dom.ts';
import { fmtTime } from '../format.ts';
import { getLang, t } from '../i18n.ts';
import type { CommandView, RoomView } from '../types.ts';

export function renderRooms(el: HTMLElement, rooms: RoomView[], tz: string): void {
  const lang = getLang();
  mount(
    el,
    h('h2', null, t('board.rooms')),
    rooms.length === 0
      ? h('p', { class: 'muted' }, t('room.none'))
      : h(
          'ul',
          { class: 'rooms', 'data-testid': 'rooms' },
          rooms.map((r) =>
            h(
              'li',
              {
                class: `room ${r.free === 0 ? 'full' : 'has-space'}`,
                'data-room': r.id,
                'data-free': r.free,
              },
              h(
                'div',
                { class: 'room-head' },
                h('span', { class: 'room-name' }, r.name),
                h(
                  'span',
                  { class: `pill ${r.free === 0 ? 'bad' : 'ok'}`, 'data-testid': 'room-occupancy' },
                  `${r.capacity - r.free}/${r.capacity}`,
                ),
                r.shared ? h('span', { class: 'muted' }, t('room.shared')) : null,
              ),
              r.occupants.length === 0
                ? h('div', { class: 'muted' }, t('room.empty'))
                : h(
                    'ul',
                    { class: 'occupants' },
                    r.occupants.map((o) =>
                      h(
                        'li',
                        null,
                        `${o.employeeNo ?? ''} ${o.name ?? ''}`.trim() || t('alert.noPerson'),
                        h('span', { class: 'muted' }, ` · ${t('room.since')} ${fmtTime(o.since, tz, lang)}`),
                      ),
                    ),
                  ),
            ),
          ),
        ),
  );
}

export function renderCommands(el: HTMLElement, commands: CommandView[], tz: string): void {
  const lang = getLang();
  mount(
    el,
    h('h2', null, t('board.commands')),
    commands.length === 0
      ? h('p', { class: 'muted' }, t('cmd.none'))
      : h(
          'ul',
          { class: 'commands', 'data-testid': 'commands' },
          commands.slice(0, 10).map((c) =>
            h(
              'li',
              { 'data-state': c.state, 'data-command': c.id },
              h('span', { class: 'time' }, fmtTime(c.at, tz, lang)),
              ` ${c.gateId} · ${t(`cmd.kind.${c.kind}`)}`,
              c.reason ? ` · “${c.reason}”` : '',
              ` · ${c.by} `,
              h('span', { class: `pill cmd-${c.state}` }, t(`cmd.state.${c.state}`)),
              // Said from the gate's refusal code (GateCommandAck.code), never by showing its English
              // sentence on a Chinese page; gates older than the code: "the gate refused".
              c.error
                ? h(
                    'span',
                    { class: 'error', 'data-testid': 'cmd-error', 'data-code': c.errorCode ?? '' },
                    ` ${c.errorCode ? t(`cmd.refused.${c.errorCode}`) : t('cmd.refusedByGate')}`,
                  )
                : null,
            ),
          ),
        ),
  );
}
