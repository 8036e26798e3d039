import { getJson } from './api.js';
import { absoluteTime, el } from './format.js';

/** Said where the sink lag would be while no sink is configured (shared/core/operations/status.ts NO_SINKS). */
const NO_SINKS = 'no sinks configured';
const UNKNOWN = 'not known here';

const seconds = (value) => (value === null || value === undefined ? '—' : `${Math.round(value)} s`);
const when = (iso) => (iso ? absoluteTime(iso) : '—');

/** One figure: a tile with its title, its value and a line of detail; `alert` marks what needs someone's eyes. */
function tile(title, value, detail, { alert = false, id } = {}) {
  return el(
    'section',
    { class: `tile${alert ? ' alert' : ''}`, 'aria-label': title, ...(id && { id }) },
    el('h3', {}, title),
    el('p', { class: 'value' }, String(value)),
    el('p', { class: 'detail' }, detail),
  );
}

/** The figures the CloudWatch dashboard shows on AWS, from GET /operations (the local stack's own, locally). */
export async function renderOperations(container, stamp) {
  const status = await getJson('/operations');
  stamp.textContent = `As of ${absoluteTime(status.at)}`;
  const { queue, deadLetters, writer, partitions } = status;
  container.replaceChildren(
    tile(
      'Queue depth',
      queue ? queue.visible + queue.inFlight : UNKNOWN,
      queue ? `${queue.visible} waiting, ${queue.inFlight} in flight; oldest ${seconds(queue.oldestAgeSeconds)}` : '',
    ),
    tile('Dead letters', deadLetters ? deadLetters.visible : UNKNOWN, 'trail dlq list shows them', {
      alert: (deadLetters?.visible ?? 0) > 0,
    }),
    tile(
      `Writer, last ${writer?.windowMinutes ?? '—'} min`,
      writer ? `${writer.eventsStored} events` : UNKNOWN,
      writer
        ? `${writer.invocations} invocations, ${writer.errors} errors, p99 ${writer.p99Ms === null ? '—' : `${Math.round(writer.p99Ms)} ms`}`
        : '',
      { alert: (writer?.errors ?? 0) > 0 },
    ),
    tile(
      'Partitions',
      partitions ? partitions.months.length : UNKNOWN,
      partitions
        ? `${partitions.months.join(', ') || 'none'}; next maintenance ${when(partitions.nextMaintenanceAt)}`
        : '',
    ),
    tile(
      'Last maintenance',
      status.lastMaintenance?.status ?? 'none yet',
      status.lastMaintenance ? `${when(status.lastMaintenance.at)}: ${status.lastMaintenance.summary}` : '',
      { alert: status.lastMaintenance?.status === 'failed' },
    ),
    tile(
      'Last seal',
      status.lastSeal ? `checkpoint ${status.lastSeal.checkpoint}` : 'none yet',
      status.lastSeal ? `${when(status.lastSeal.at)}: ${status.lastSeal.summary}` : '',
    ),
    tile(
      'Last verification',
      status.lastVerification ? (status.lastVerification.ok ? 'intact' : 'NOT INTACT') : 'none yet',
      status.lastVerification
        ? `${when(status.lastVerification.at)}: ${status.lastVerification.summary}`
        : 'it follows a maintenance run, once the sealer has signed a checkpoint',
      { alert: status.lastVerification?.ok === false },
    ),
    tile(
      'Sink lag',
      status.sinks.length ? Math.max(...status.sinks.map((sink) => sink.lagEvents)) : NO_SINKS,
      status.sinks
        .map(
          (sink) =>
            `${sink.name}: ${sink.lagEvents} events, ${seconds(sink.lagSeconds)}, ${sink.deadLettered} dead-lettered`,
        )
        .join('; '),
      { id: 'sink-lag' },
    ),
  );
}
