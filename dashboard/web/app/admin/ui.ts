/** Small pieces shared by the admin pages. */
import { errorText } from '../board/alerts.ts';
import { h, mount } from '../dom.ts';
import { t } from '../i18n.ts';

export function table(headers: string[], rows: Node[], attrs: Record<string, string> = {}): HTMLElement {
  return h(
    'table',
    { class: 'grid', ...attrs },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        headers.map((x) => h('th', null, x)),
      ),
    ),
    h('tbody', null, rows),
  );
}

/** Loads then draws; shows "loading" and a readable error in the same place. */
export async function load<T>(
  el: HTMLElement,
  fetcher: () => Promise<T>,
  draw: (v: T) => void,
): Promise<void> {
  mount(el, h('p', { class: 'muted' }, t('common.loading')));
  try {
    draw(await fetcher());
  } catch (err) {
    mount(el, h('p', { class: 'error' }, errorText(err)));
  }
}

export function field(label: string, input: HTMLElement): HTMLElement {
  return h('label', null, label, input);
}
