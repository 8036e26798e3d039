import type { EntityRef } from '../../core/domain/entity.ts';
import { parseActor, type Source, type StoredEvent } from '../../core/domain/event.ts';
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
 * WRITE_NEW_EVENTS_SQL and WRITE_EVENTS_SQL.
 */
export const INSERT_EVENTS_SQL = `INSERT INTO events (${EVENT_COLUMNS}) SELECT * FROM ${UNNEST} ON CONFLICT DO NOTHING RETURNING id, occurred_at`;

/** audit_event_digest (migration 008) of each event of the batch, its columns prefixed with `alias`. */
const digest = (alias = '') =>
  `audit_event_digest(${[
    'entity_type',
    'entity_id',
    'type',
    'severity',
    'occurred_at',
    'related',
    'actor',
    'source_channel',
    'source_principal',
    'payload',
    'trace_id',
    'span_id',
    'causation_id',
  ]
    .map((column) => alias + column)
    .join(', ')})`;

/**
 * The writer's statement for a batch whose ids are all new, which is nearly every batch: plain inserts into
 * event_ids and events, atomic as one statement is. An id already held fails it whole with unique_violation on
 * event_ids_pkey (a resend, a redelivery, another event under a used id), and the writer then runs
 * WRITE_EVENTS_SQL. With no ON CONFLICT, no join and no read of event_ids, it costs 5-12 % more than the insert
 * before ids were claimed, INSERT_EVENTS_SQL (bench/experiments/writer-idempotency.ts). The ids are claimed in id order, so two writers claiming
 * overlapping ids wait for each other instead of deadlocking. One row per id: the caller sends each id once.
 */
export const WRITE_NEW_EVENTS_SQL = /* sql */ `
WITH stored AS (INSERT INTO events (${EVENT_COLUMNS}) SELECT * FROM ${UNNEST} AS e(${EVENT_COLUMNS}))
INSERT INTO event_ids (id, occurred_at, digest)
SELECT id, occurred_at, ${digest()} FROM ${UNNEST} AS e(${EVENT_COLUMNS}) ORDER BY id`;

/**
 * The writer's statement for a batch with a held id: each id is claimed in event_ids unless held (ON CONFLICT DO
 * NOTHING, which waits for a writer claiming it concurrently), and the events whose id it claimed are inserted,
 * returned by id. What was not claimed the caller compares with HELD_EVENTS_SQL. One row per id, as above.
 */
export const WRITE_EVENTS_SQL = /* sql */ `
WITH batch AS (SELECT * FROM ${UNNEST} AS e(${EVENT_COLUMNS})),
claimed AS (
  INSERT INTO event_ids (id, occurred_at, digest) SELECT id, occurred_at, ${digest()} FROM batch ORDER BY id
  ON CONFLICT (id) DO NOTHING
  RETURNING id
)
INSERT INTO events (${EVENT_COLUMNS})
SELECT ${COLUMNS.map(([name]) => `b.${name}`).join(', ')} FROM batch b JOIN claimed c ON c.id = b.id
RETURNING id`;

/**
 * For events the writer did not insert: whether each is the event its id is held with (same digest: a resend) or
 * another (a conflict), and when the held one occurred. Run after the write, so that it sees an id a concurrent
 * writer claimed (its claim waited for that writer's commit). One row per event (`ord` from 1) whose id is held.
 */
export const HELD_EVENTS_SQL = /* sql */ `
SELECT e.ord::int AS ord, held.occurred_at, held.digest = ${digest('e.')} AS same
  FROM ${UNNEST} WITH ORDINALITY AS e(${EVENT_COLUMNS}, ord)
  JOIN event_ids held ON held.id = e.id`;

/** A row of HELD_EVENTS_SQL. */
export interface HeldRow {
  ord: number;
  occurred_at: Date;
  same: boolean;
}

/** The parameters of every statement above: column arrays, in COLUMNS order. */
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

/** A row with its instants as Dates (node-postgres's default) or already as toISOString() text (the sealer's reads). */
type RowOfInstants = Omit<EventRow, 'occurred_at' | 'received_at'> & {
  occurred_at: Date | string;
  received_at: Date | string;
};

const iso = (instant: Date | string) => (typeof instant === 'string' ? instant : instant.toISOString());

export function rowToEvent(row: RowOfInstants): StoredEvent {
  return {
    id: row.id,
    type: row.type,
    severity: row.severity,
    occurredAt: iso(row.occurred_at),
    receivedAt: iso(row.received_at),
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
