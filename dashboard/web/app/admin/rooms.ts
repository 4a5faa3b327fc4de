/** Isolation rooms: add, edit (name, capacity, shared, walking distances per gate), remove. */
import { api } from '../api.ts';
import { errorText } from '../board/alerts.ts';
import { h, mount } from '../dom.ts';
import { t } from '../i18n.ts';
import type { Render } from '../router.ts';
import type { RoomView } from '../types.ts';
import { confirmButton } from './users.ts';
import { load, table } from './ui.ts';

/** "gate-a=30, gate-b=120" ⇄ { 'gate-a': 30, 'gate-b': 120 }. */
export function parseDistances(s: string): Record<string, number> | null {
  const out: Record<string, number> = {};
  for (const part of s.split(/[,;\n]/)) {
    const p = part.trim();
    if (!p) continue;
    const m = /^([A-Za-z0-9_-]{1,64})\s*[=:]\s*(\d+(?:\.\d+)?)$/.exec(p);
    if (!m) return null;
    out[m[1] as string] = Number(m[2]);
  }
  return out;
}

export function formatDistances(d: Record<string, number>): string {
  return Object.entries(d)
    .map(([g, m]) => `${g}=${m}`)
    .join(', ');
}

export const renderRooms: Render = (root, ctx) => {
  const list = h('div', { 'data-testid': 'rooms-admin' });
  const editor = h('section', { class: 'panel editor' });

  const edit = (room: RoomView | null) => {
    const id = h('input', {
      name: 'id',
      value: room?.id ?? '',
      required: true,
      pattern: '[A-Za-z0-9_\\-]{1,64}',
      readonly: room !== null,
    });
    const name = h('input', { name: 'name', value: room?.name ?? '', required: true, maxlength: 24 });
    const capacity = h('input', {
      name: 'capacity',
      type: 'number',
      min: 1,
      max: 4,
      value: room?.capacity ?? 1,
    });
    const shared = h('input', { name: 'shared', type: 'checkbox', checked: room?.shared ?? false });
    const distances = h('input', {
      name: 'distances',
      value: formatDistances(room?.distances ?? {}),
      placeholder: 'gate-a=30, gate-b=120',
      size: 40,
    });
    const err = h('p', { class: 'error' });
    mount(
      editor,
      h('h2', null, room ? t('room.edit', { id: room.id }) : t('room.add')),
      h(
        'form',
        {
          class: 'stack',
          onsubmit: async (ev: Event) => {
            ev.preventDefault();
            const d = parseDistances(distances.value);
            if (!d) {
              err.textContent = t('room.badDistances');
              return;
            }
            const cap = Number(capacity.value);
            if (cap > 1 && !shared.checked) {
              err.textContent = t('room.sharedNeeded');
              return;
            }
            err.textContent = '';
            try {
              // A new room must not replace one with the same id (with its occupants): the server refuses.
              await api.put(
                `/api/rooms/${encodeURIComponent(id.value.trim())}${room ? '' : '?create=true'}`,
                {
                  id: id.value.trim(),
                  name: name.value.trim(),
                  capacity: cap,
                  shared: shared.checked,
                  distances: d,
                },
              );
              ctx.toast(t('common.saved'));
              edit(null);
              void refresh();
            } catch (e) {
              err.textContent = errorText(e);
            }
          },
        },
        h('label', null, t('room.id'), id),
        h('label', null, t('room.name'), name),
        h('label', null, t('room.capacity'), capacity),
        h('label', { class: 'check' }, shared, t('room.shared')),
        h('label', null, t('room.distances'), distances),
        h('button', { type: 'submit', class: 'primary' }, t('common.save')),
        room ? h('button', { type: 'button', onclick: () => edit(null) }, t('common.cancel')) : null,
        err,
      ),
    );
  };

  const refresh = () =>
    load(
      list,
      () => api.get<RoomView[]>('/api/rooms'),
      (rooms) =>
        mount(
          list,
          table(
            [t('room.id'), t('room.name'), t('room.capacity'), t('room.occupancy'), t('room.distances'), ''],
            rooms.map((r) =>
              h(
                'tr',
                { 'data-room': r.id },
                h('td', null, r.id),
                h('td', null, r.name),
                h('td', null, `${r.capacity}${r.shared ? ` (${t('room.shared')})` : ''}`),
                h('td', null, `${r.capacity - r.free}/${r.capacity}`),
                h('td', null, formatDistances(r.distances)),
                h(
                  'td',
                  null,
                  h('button', { type: 'button', onclick: () => edit(r) }, t('common.edit')),
                  ' ',
                  confirmButton(
                    t('common.delete'),
                    t('room.confirmDelete', { id: r.id }),
                    async () => {
                      await api.del(`/api/rooms/${encodeURIComponent(r.id)}`);
                      ctx.toast(t('common.deleted'));
                      void refresh();
                    },
                    ctx.toast,
                  ),
                ),
              ),
            ),
          ),
        ),
    );

  mount(root, h('h1', null, t('nav.rooms')), list, editor);
  edit(null);
  void refresh();
  return undefined;
};
