import { OTEL_SEVERITY_NUMBER } from '../domain/severity.ts';
import type { ArchiveScan } from '../ports/archive-jobs.ts';
import { sqlTimestamp } from '../ports/archive-query.ts';
import { AUDIT_TYPE_PREFIX, type EventQueryFilter } from '../query/filter.ts';
import type { Position } from '../query/page-cursor.ts';
import { ARCHIVE_COLUMNS, ARCHIVE_TABLE } from './schema.ts';

const COLUMNS = ARCHIVE_COLUMNS.map((c) => c.name).join(', ');

/**
 * The archive's rows of a filter below `from` (the whole window when undefined), newest first, in the SQL both engines
 * share (Trino for Athena, DuckDB locally). Every value is a `?` parameter; `year` narrows the partitions read, so
 * Athena scans only the months of the window (and its workgroup's bytes-scanned cutoff bounds what remains).
 *
 * `related` is PostgreSQL's jsonb text, whose objects print as `{"id": …, "type": …}` (jsonb orders keys by length):
 * an entity named there is found by that exact text.
 */
export function archiveScan(filter: EventQueryFilter, from?: Position): ArchiveScan {
  const params: string[] = [];
  const p = (value: string) => {
    params.push(value);
    return '?';
  };
  const upper = from && new Date(from.occurredAt) < filter.until ? new Date(from.occurredAt) : filter.until;
  const conditions = [
    `year BETWEEN ${p(year(filter.since))} AND ${p(year(upper))}`,
    `occurred_at >= CAST(${p(sqlTimestamp(filter.since))} AS TIMESTAMP)`,
    `occurred_at < CAST(${p(sqlTimestamp(filter.until))} AS TIMESTAMP)`,
  ];
  if (from) {
    const at = sqlTimestamp(new Date(from.occurredAt));
    conditions.push(
      `(occurred_at < CAST(${p(at)} AS TIMESTAMP) OR (occurred_at = CAST(${p(at)} AS TIMESTAMP) AND id < ${p(from.id.toLowerCase())}))`,
    );
  }
  if (filter.entity) {
    const { type, id } = filter.entity;
    conditions.push(
      `((entity_type = ${p(type)} AND entity_id = ${p(id)}) OR strpos(related, ${p(relatedText(type, id))}) > 0)`,
    );
  }
  if (filter.type !== undefined) {
    if (filter.type.endsWith('.*')) {
      const prefix = filter.type.slice(0, -1);
      conditions.push(`substr(type, 1, ${prefix.length}) = ${p(prefix)}`);
    } else conditions.push(`type = ${p(filter.type)}`);
  }
  if (filter.severities !== undefined) conditions.push(`severity IN (${filter.severities.map(p).join(', ')})`);
  if (filter.minSeverity !== undefined)
    conditions.push(`severity_number >= CAST(${p(String(OTEL_SEVERITY_NUMBER[filter.minSeverity]))} AS INTEGER)`);
  if (filter.actor !== undefined) conditions.push(`actor = ${p(filter.actor)}`);
  if (filter.source !== undefined) {
    conditions.push(`source_channel = ${p(filter.source.channel)}`);
    if (filter.source.principal !== undefined) conditions.push(`source_principal = ${p(filter.source.principal)}`);
  }
  if (filter.q !== undefined) conditions.push(`strpos(lower(payload), lower(${p(filter.q)})) > 0`);
  if (filter.id !== undefined) conditions.push(`id = ${p(filter.id.toLowerCase())}`);
  for (const prefix of filter.hiddenTypePrefixes ?? [])
    conditions.push(`substr(type, 1, ${prefix.length}) <> ${p(prefix)}`);
  // hideOwnAudit: the reader's own audit.* records, left out as PostgreSQL's reads leave them out.
  if (filter.hiddenAuditOf !== undefined)
    conditions.push(
      `NOT (actor = ${p(filter.hiddenAuditOf)} AND substr(type, 1, ${AUDIT_TYPE_PREFIX.length}) = ${p(AUDIT_TYPE_PREFIX)})`,
    );
  return {
    sql: `SELECT ${COLUMNS} FROM ${ARCHIVE_TABLE} WHERE ${conditions.join(' AND ')} ORDER BY occurred_at DESC, id DESC`,
    params,
  };
}

/** An entity as PostgreSQL prints it inside a jsonb array: `{"id": "b-1", "type": "bay"}`. */
export function relatedText(type: string, id: string): string {
  return `{"id": ${JSON.stringify(id)}, "type": ${JSON.stringify(type)}}`;
}

const year = (instant: Date) => String(instant.getUTCFullYear()).padStart(4, '0');
