import { absoluteTime, el, entityKey, relativeTime } from './format.js';

/** One page of events as table rows (a page at a time keeps the DOM small on 10,000-row windows). */
export function renderRows(tbody, events, { onEntity, onEvent }) {
  const now = Date.now();
  const rows = events.map((event) =>
    el(
      'tr',
      { class: `row-${event.severity}` },
      el(
        'td',
        {},
        el(
          'button',
          {
            class: 'link',
            type: 'button',
            'aria-label': `Open event ${event.type} at ${event.occurredAt}`,
            onclick: () => onEvent(event),
          },
          el(
            'time',
            { datetime: event.occurredAt, title: event.occurredAt },
            relativeTime(event.occurredAt, now),
            el('span', { class: 'abs' }, absoluteTime(event.occurredAt)),
          ),
        ),
      ),
      el('td', {}, el('span', { class: `sev sev-${event.severity}` }, event.severity)),
      el(
        'td',
        {},
        event.type,
        event.storedIn === 'archive'
          ? el('span', { class: 'stored-archive', title: 'read from the archive (an archived month)' }, 'archive')
          : undefined,
      ),
      el('td', {}, entityButton(event.entity, onEntity)),
      el('td', {}, `${event.actor.type}:${event.actor.id}`),
      el('td', {}, event.source.channel),
      el('td', { class: 'payload', title: JSON.stringify(event.payload) }, JSON.stringify(event.payload)),
    ),
  );
  if (rows.length === 0)
    rows.push(el('tr', {}, el('td', { colspan: '7' }, 'No events match these filters in this window.')));
  tbody.replaceChildren(...rows);
}

export function entityButton(ref, onEntity) {
  return el(
    'button',
    { class: 'link', type: 'button', title: `History of ${entityKey(ref)}`, onclick: () => onEntity(ref) },
    entityKey(ref),
  );
}
