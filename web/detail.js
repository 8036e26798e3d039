import { getJson, queryString } from './api.js';
import { absoluteTime, el, entityKey } from './format.js';
import { entityButton } from './table.js';

const MAX_CHAIN = 10;
const MAX_WINDOW_MS = 93 * 86_400_000;

/** The event a causationId points to: looked up by id within the widest window that ends at the effect. */
async function causeOf(event) {
  const until = new Date(Date.parse(event.occurredAt) + 1).toISOString();
  const since = new Date(Date.parse(until) - MAX_WINDOW_MS).toISOString();
  const page = await getJson(`/events?${queryString({ id: event.causationId, since, until })}`);
  return page.events[0];
}

/** The full record in a modal dialog: payload, trace, related entities and the causation chain. */
export async function showEvent(dialog, event, { onEntity }) {
  const body = dialog.querySelector('#detail-body');
  dialog.querySelector('#detail-title').textContent = `${event.type} — ${entityKey(event.entity)}`;
  const goTo = (ref) => {
    dialog.close();
    onEntity(ref);
  };
  const chain = el('ol', { 'aria-label': 'Causation chain' });
  body.replaceChildren(
    el(
      'dl',
      { class: 'fields' },
      field('id', event.id),
      field('severity', el('span', { class: `sev sev-${event.severity}` }, event.severity)),
      field('occurred', `${absoluteTime(event.occurredAt)} (received ${absoluteTime(event.receivedAt)})`),
      field('entity', entityButton(event.entity, goTo)),
      // One button per related entity, a space between: flatMap, as el() flattens one level only.
      field(
        'related',
        ...(event.related.length ? event.related.flatMap((ref) => [entityButton(ref, goTo), ' ']) : ['none']),
      ),
      field('actor', `${event.actor.type}:${event.actor.id}`),
      field(
        'source',
        `${event.source.channel} · ${event.source.principal}${event.source.ip ? ` · ${event.source.ip}` : ''}`,
      ),
      field('trace id', event.traceId ?? '—'),
      field('span id', event.spanId ?? '—'),
    ),
    el('h3', {}, 'Payload'),
    el('pre', {}, JSON.stringify(event.payload, null, 2)),
    el('h3', {}, 'Caused by'),
    chain,
  );
  if (!dialog.open) dialog.showModal();
  let current = event;
  if (!current.causationId) chain.replaceWith(el('p', {}, 'nothing: this event starts its chain'));
  for (let depth = 0; current.causationId && depth < MAX_CHAIN; depth++) {
    const cause = await causeOf(current).catch(() => undefined);
    if (!cause) {
      chain.append(el('li', {}, `${current.causationId} (not found in the 93 days before, or not visible to you)`));
      break;
    }
    chain.append(
      el(
        'li',
        {},
        el(
          'button',
          { class: 'link', type: 'button', onclick: () => showEvent(dialog, cause, { onEntity }) },
          `${cause.type} — ${entityKey(cause.entity)} at ${absoluteTime(cause.occurredAt)}`,
        ),
      ),
    );
    current = cause;
  }
}

function field(name, ...value) {
  return [el('dt', {}, name), el('dd', {}, ...value)];
}
