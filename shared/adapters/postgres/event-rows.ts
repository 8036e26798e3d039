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

const UNNEST = `unnest(${COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})`;

/**
 * The plain insert of a batch, one array parameter per column, a stored row skipped: the writer's statement before
 * ids were claimed (migration 008), which bench/experiments still compares shapes with. The writer uses
 * WRITE_EVENTS_SQL.
 */
export const INSERT_EVENTS_SQL = `INSERT INTO events (${EVENT_COLUMNS}) SELECT * FROM ${UNNEST} ON CONFLICT DO NOTHING RETURNING id, occurred_at`;

/** audit_event_digest's arguments (migration 008), as columns of the batch. */
const DIGEST_ARGUMENTS =
  'entity_type, entity_id, type, severity, occurred_at, related, actor, source_channel, source_principal, payload, ' +
  'trace_id, span_id, causation_id';

/**
 * The writer's statement for a whole batch, atomic as one statement is: each event's content digest; the first
 * event of each id claims it in event_ids (ON CONFLICT DO NOTHING); the claimed ones are inserted into events. One
 * row per event, in batch order (`ord` from 1): whether it was inserted, its digest, and the digest and occurred_at
 * the id is held with — from before the statement, or from this statement's claim; null for an id another writer
 * claimed after this statement's snapshot was taken (it has committed by then: the caller reads it afterwards).
 * The writer may SELECT and INSERT event_ids, and SELECT only the key columns of events (migrations 007, 008).
 */
export const WRITE_EVENTS_SQL = /* sql */ `
WITH batch AS (
  SELECT e.*, audit_event_digest(${DIGEST_ARGUMENTS}) AS digest
    FROM ${UNNEST} WITH ORDINALITY AS e(${EVENT_COLUMNS}, ord)
),
firsts AS (SELECT DISTINCT ON (id) id, occurred_at, digest, ord FROM batch ORDER BY id, ord),
known AS (SELECT id, held.occurred_at, held.digest FROM event_ids held JOIN firsts USING (id)),
claimed AS (
  INSERT INTO event_ids (id, occurred_at, digest) SELECT id, occurred_at, digest FROM firsts
  ON CONFLICT (id) DO NOTHING
  RETURNING id
),
inserted AS (
  INSERT INTO events (${EVENT_COLUMNS})
  SELECT ${COLUMNS.map(([name]) => `b.${name}`).join(', ')}
    FROM batch b JOIN firsts f ON f.ord = b.ord JOIN claimed c ON c.id = b.id
  ON CONFLICT DO NOTHING
  RETURNING id
)
SELECT b.ord::int AS ord, b.digest, i.id IS NOT NULL AS inserted,
       coalesce(k.digest, CASE WHEN c.id IS NOT NULL THEN f.digest END) AS held_digest,
       coalesce(k.occurred_at, CASE WHEN c.id IS NOT NULL THEN f.occurred_at END) AS held_occurred_at
  FROM batch b
  JOIN firsts f ON f.id = b.id
  LEFT JOIN known k ON k.id = b.id
  LEFT JOIN claimed c ON c.id = b.id
  LEFT JOIN inserted i ON i.id = b.id AND b.ord = f.ord
 ORDER BY b.ord`;

/** A row of WRITE_EVENTS_SQL. */
export interface WrittenRow {
  ord: number;
  digest: Buffer;
  inserted: boolean;
  held_digest: Buffer | null;
  held_occurred_at: Date | null;
}

/** The parameters of INSERT_EVENTS_SQL and WRITE_EVENTS_SQL: column arrays, in COLUMNS order. */
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
