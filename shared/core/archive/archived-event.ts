import { parseActor, type Source, type StoredEvent } from '../domain/event.ts';
import type { Severity } from '../domain/severity.ts';
import type { ArchiveQueryEngine } from '../ports/archive-query.ts';
import { ARCHIVE_COLUMNS, ARCHIVE_TABLE } from './schema.ts';

/** An archived row as text, by column name (ARCHIVE_COLUMNS): what an archive query returns, or a Parquet row read. */
export type ArchivedRow = Readonly<Record<string, string | null>>;

/**
 * The stored event an archived row holds, in the API's JSON form: the same object `rowToEvent` builds from the
 * PostgreSQL row it was exported from, so its leaf (core/tamper/leaf.ts) is the one the log sealed. `related` and
 * `payload` are PostgreSQL's jsonb text, parsed as node-postgres parses jsonb; absent optional fields are NULL.
 * Not validated: a verifier needs the leaf of whatever the row holds, tampered or not.
 */
export function archivedRowToEvent(row: ArchivedRow): StoredEvent {
  const text = (name: string) => {
    const value = row[name];
    if (value === null || value === undefined) throw new Error(`the archived row has no ${name}`);
    return value;
  };
  const optional = (name: string) => row[name] ?? undefined;
  const clientId = optional('source_client_id');
  const ip = optional('source_ip');
  const traceId = optional('trace_id');
  const spanId = optional('span_id');
  const causationId = optional('causation_id');
  return {
    id: text('id'),
    type: text('type'),
    severity: text('severity') as Severity,
    occurredAt: archiveInstant(text('occurred_at')),
    receivedAt: archiveInstant(text('received_at')),
    entity: { type: text('entity_type'), id: text('entity_id') },
    related: JSON.parse(text('related')),
    actor: parseActor(text('actor')),
    source: {
      channel: text('source_channel') as Source['channel'],
      principal: text('source_principal'),
      ...(clientId !== undefined && { clientId }),
      ...(ip !== undefined && { ip }),
    },
    payload: JSON.parse(text('payload')),
    ...(traceId !== undefined && { traceId }),
    ...(spanId !== undefined && { spanId }),
    ...(causationId !== undefined && { causationId }),
  };
}

/**
 * One archived event, by its id and when it occurred (which event_log keeps for every sealed event): the month's
 * partition only is read, so Athena scans one month. Undefined when the archive does not hold it.
 */
export async function findArchivedEvent(
  engine: ArchiveQueryEngine,
  id: string,
  occurredAt: string,
): Promise<StoredEvent | undefined> {
  const at = new Date(occurredAt);
  const year = String(at.getUTCFullYear()).padStart(4, '0');
  const month = String(at.getUTCMonth() + 1).padStart(2, '0');
  const columns = ARCHIVE_COLUMNS.map((c) => c.name).join(', ');
  const result = await engine.run(
    `SELECT ${columns} FROM ${ARCHIVE_TABLE} WHERE year = ? AND month = ? AND id = ? LIMIT 1`,
    [year, month, id.toLowerCase()],
  );
  const [row] = rowsByName(result);
  return row && archivedRowToEvent(row);
}

/** The columns and rows of an archive query result as rows by name. */
export function rowsByName(result: { columns: readonly string[]; rows: readonly (string | null)[][] }): ArchivedRow[] {
  return result.rows.map((row) => Object.fromEntries(result.columns.map((name, i) => [name, row[i] ?? null])));
}

// `2026-05-31 23:30:00.125` (an archive query's UTC text, as Athena writes timestamps) or an ISO instant with its zone.
const ARCHIVE_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d{1,3})?$/;

/** An archive timestamp as the ISO instant PostgreSQL's value gives (`toISOString()`: UTC, milliseconds). */
export function archiveInstant(text: string): string {
  const match = ARCHIVE_TIMESTAMP.exec(text);
  const iso = match ? `${match[1]}T${match[2]}${match[3] ?? ''}Z` : text;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms) || !(match || /(Z|[+-]\d{2}:?\d{2})$/.test(text)))
    throw new RangeError(`"${text}" is not a UTC timestamp`);
  return new Date(ms).toISOString();
}
