import type { EntityRef } from '../../core/domain/entity.ts';
import { parseActor, type Source, type StoredEvent } from '../../core/domain/event.ts';
import { type Severity, severityNumber } from '../../core/domain/severity.ts';

/** The events columns in insert order, each with the type the batch's rows are read as. */
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

type Column = (typeof COLUMNS)[number][0];

const UNNEST = `unnest(${COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})`;

/** The columns of a row of the batch, typed: what json_to_recordset reads each field of a row object as. */
const ROW_TYPE = COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ');

/**
 * The batch of the writer's statements: one JSON parameter, an array of row objects keyed by column (writeParameters),
 * read once into a CTE that the statement's two inserts share. One parameter costs the writer about half the Node.js
 * CPU of one array per column (node-postgres builds array literals in JavaScript), and PostgreSQL no more: reading
 * the JSON twice would cost it a third more (bench/experiments/writer-idempotency.ts).
 */
const BATCH = `batch AS MATERIALIZED (SELECT * FROM json_to_recordset($1::json) AS e(${ROW_TYPE}))`;

/**
 * The plain insert of a batch, one array parameter per column (insertParameters), a stored row skipped: the writer's
 * statement before ids were claimed (migration 008), which bench/experiments still compares shapes with, and tests
 * write around the claim with. The writer uses WRITE_NEW_EVENTS_SQL and WRITE_EVENTS_SQL.
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
 * WRITE_EVENTS_SQL. With no ON CONFLICT, no join and no read of event_ids, it cost 5-12 % more than the insert
 * before ids were claimed, INSERT_EVENTS_SQL, both from column arrays (bench/experiments/writer-idempotency.ts). The ids are claimed in id order, so two writers claiming
 * overlapping ids wait for each other instead of deadlocking. One row per id: the caller sends each id once.
 */
export const WRITE_NEW_EVENTS_SQL = /* sql */ `
WITH ${BATCH},
stored AS (INSERT INTO events (${EVENT_COLUMNS}) SELECT * FROM batch)
INSERT INTO event_ids (id, occurred_at, digest)
SELECT id, occurred_at, ${digest()} FROM batch ORDER BY id`;

/**
 * The writer's statement for a batch with a held id: each id is claimed in event_ids unless held (ON CONFLICT DO
 * NOTHING, which waits for a writer claiming it concurrently), and the events whose id it claimed are inserted,
 * returned by id. What was not claimed the caller compares with HELD_EVENTS_SQL. One row per id, as above.
 */
export const WRITE_EVENTS_SQL = /* sql */ `
WITH ${BATCH},
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
  FROM ROWS FROM (json_to_recordset($1::json) AS (${ROW_TYPE})) WITH ORDINALITY AS e(${EVENT_COLUMNS}, ord)
  JOIN event_ids held ON held.id = e.id`;

/** A row of HELD_EVENTS_SQL. */
export interface HeldRow {
  ord: number;
  occurred_at: Date;
  same: boolean;
}

/**
 * An event as a row of events, its derived columns computed: the severity number, the actor as `type:id`, the source
 * and entity flattened; an optional field left out is undefined (JSON leaves it out, and the row has NULL there).
 */
export function eventRow(event: StoredEvent): Record<Column, unknown> {
  return {
    id: event.id,
    type: event.type,
    severity: event.severity,
    severity_number: severityNumber(event.severity),
    occurred_at: event.occurredAt,
    received_at: event.receivedAt,
    entity_type: event.entity.type,
    entity_id: event.entity.id,
    related: event.related,
    actor: `${event.actor.type}:${event.actor.id}`,
    source_channel: event.source.channel,
    source_principal: event.source.principal,
    source_client_id: event.source.clientId,
    source_ip: event.source.ip,
    payload: event.payload,
    trace_id: event.traceId,
    span_id: event.spanId,
    causation_id: event.causationId,
  };
}

/**
 * The one parameter of WRITE_NEW_EVENTS_SQL, WRITE_EVENTS_SQL and HELD_EVENTS_SQL: the events as a JSON array of
 * rows, one JSON.stringify for the batch. PostgreSQL reads every value back as the column arrays gave it: a string
 * as the same text, related and payload as jsonb of the same JSON.stringify text, instants by timestamptz input.
 */
export function writeParameters(events: readonly StoredEvent[]): [string] {
  return [JSON.stringify(events.map(eventRow))];
}

/** The parameters of INSERT_EVENTS_SQL: column arrays, in COLUMNS order, related and payload as JSON text. */
export function insertParameters(events: readonly StoredEvent[]): unknown[][] {
  const rows = events.map(eventRow);
  return COLUMNS.map(([name, type]) =>
    rows.map((row) => (type === 'jsonb' ? JSON.stringify(row[name]) : (row[name] ?? null))),
  );
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
