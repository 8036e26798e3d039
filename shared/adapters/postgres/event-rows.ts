import type { EntityRef } from '../../core/domain/entity.ts';
import type { Actor, Source, StoredEvent } from '../../core/domain/event.ts';
import { type Severity, severityNumber } from '../../core/domain/severity.ts';

/** The events columns in insert order, each with the array type its unnest() parameter is cast to. */
const COLUMNS = [
  ['id', 'uuid'],
  ['type', 'text'],
  ['severity', 'text'],
  ['severity_number', 'smallint'],
  ['occurred_at', 'timestamptz'],
  ['received_at', 'timestamptz'],
  ['entity_type', 'text'],
  ['entity_id', 'text'],
  ['related', 'jsonb'],
  ['actor', 'text'],
  ['source_channel', 'text'],
  ['source_principal', 'text'],
  ['source_client_id', 'text'],
  ['source_ip', 'text'],
  ['payload', 'jsonb'],
  ['trace_id', 'text'],
  ['span_id', 'text'],
  ['causation_id', 'uuid'],
] as const;

export const EVENT_COLUMNS = COLUMNS.map(([name]) => name).join(', ');

/**
 * One statement for a whole batch: one array parameter per column; a stored event is skipped, not an error. It
 * returns the key (occurred_at, id) of each row it did insert, so the caller can tell new events from redelivered
 * ones (the writer role may SELECT those two columns only: migration 007).
 */
export const INSERT_EVENTS_SQL =
  `INSERT INTO events (${EVENT_COLUMNS}) ` +
  `SELECT * FROM unnest(${COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')}) ` +
  'ON CONFLICT DO NOTHING RETURNING id, occurred_at';

/** The parameters of INSERT_EVENTS_SQL: column arrays, in COLUMNS order. */
export function insertParameters(events: readonly StoredEvent[]): unknown[][] {
  const rows = events.map((event) => [
    event.id,
    event.type,
    event.severity,
    severityNumber(event.severity),
    event.occurredAt,
    event.receivedAt,
    event.entity.type,
    event.entity.id,
    JSON.stringify(event.related),
    `${event.actor.type}:${event.actor.id}`,
    event.source.channel,
    event.source.principal,
    event.source.clientId ?? null,
    event.source.ip ?? null,
    JSON.stringify(event.payload),
    event.traceId ?? null,
    event.spanId ?? null,
    event.causationId ?? null,
  ]);
  return COLUMNS.map((_, column) => rows.map((row) => row[column]));
}

/** A row of `SELECT ${EVENT_COLUMNS} FROM events` as node-postgres returns it. */
export interface EventRow {
  id: string;
  type: string;
  severity: Severity;
  severity_number: number;
  occurred_at: Date;
  received_at: Date;
  entity_type: string;
  entity_id: string;
  related: EntityRef[];
  actor: string;
  source_channel: Source['channel'];
  source_principal: string;
  source_client_id: string | null;
  source_ip: string | null;
  payload: Record<string, unknown>;
  trace_id: string | null;
  span_id: string | null;
  causation_id: string | null;
}

export function rowToEvent(row: EventRow): StoredEvent {
  return {
    id: row.id,
    type: row.type,
    severity: row.severity,
    occurredAt: row.occurred_at.toISOString(),
    receivedAt: row.received_at.toISOString(),
    entity: { type: row.entity_type, id: row.entity_id },
    related: row.related,
    actor: parseActor(row.actor),
    source: {
      channel: row.source_channel,
      principal: row.source_principal,
      ...(row.source_client_id !== null && { clientId: row.source_client_id }),
      ...(row.source_ip !== null && { ip: row.source_ip }),
    },
    payload: row.payload,
    ...(row.trace_id !== null && { traceId: row.trace_id }),
    ...(row.span_id !== null && { spanId: row.span_id }),
    ...(row.causation_id !== null && { causationId: row.causation_id }),
  };
}

/** `device:r-17` → { type: 'device', id: 'r-17' } (ids never contain ':'). */
function parseActor(key: string): Actor {
  const at = key.indexOf(':');
  return { type: key.slice(0, at) as Actor['type'], id: key.slice(at + 1) };
}
