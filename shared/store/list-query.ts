import { OTEL_SEVERITY_NUMBER, type Severity } from '../domain/severity.ts';
import type { EventFilter } from '../ports/index.ts';
import { decodeCursor } from './cursor.ts';
import type { SqlQuery } from './event-query.ts';
import { EVENT_COLUMNS } from './event-rows.ts';

export const MAX_PAGE_SIZE = 1000;

/**
 * The newest-first page of events matching the filter, as parameterised SQL: every filter value travels in
 * `values`, never in `text`. It asks for one row more than the limit, to tell whether a next page exists.
 */
export function buildListQuery(filter: EventFilter): SqlQuery {
  if (!Number.isInteger(filter.limit) || filter.limit < 1 || filter.limit > MAX_PAGE_SIZE) {
    throw new RangeError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${filter.limit}`);
  }
  const values: unknown[] = [];
  const param = (value: unknown): string => {
    values.push(value);
    return `$${values.length}`;
  };
  const conditions: string[] = [];

  if (filter.entity) {
    const { type, id } = filter.entity;
    // Either side can use its own index (events_entity_idx, events_related_idx) in a BitmapOr.
    conditions.push(
      `((entity_type = ${param(type)} AND entity_id = ${param(id)}) OR related @> ${param(JSON.stringify([{ type, id }]))}::jsonb)`,
    );
  }
  if (filter.type !== undefined) {
    conditions.push(
      filter.type.endsWith('.*')
        ? `type LIKE ${param(`${escapeLike(filter.type.slice(0, -1))}%`)}`
        : `type = ${param(filter.type)}`,
    );
  }
  if (filter.severity !== undefined) {
    conditions.push(`severity = ANY(${param(filter.severity)}::text[])`);
    // Implied by the list, but spelled out so the planner can use the partial index of ERROR and above.
    const lowest = lowestSeverityNumber(filter.severity);
    if (lowest !== undefined) conditions.push(`severity_number >= ${param(lowest)}::smallint`);
  }
  if (filter.since) conditions.push(`occurred_at >= ${param(filter.since.toISOString())}::timestamptz`);
  if (filter.until) conditions.push(`occurred_at < ${param(filter.until.toISOString())}::timestamptz`);
  if (filter.cursor !== undefined) {
    const after = decodeCursor(filter.cursor);
    conditions.push(`(occurred_at, id) < (${param(after.occurredAt)}::timestamptz, ${param(after.id)}::uuid)`);
  }

  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')} ` : '';
  return {
    text: `SELECT ${EVENT_COLUMNS} FROM events ${where}ORDER BY occurred_at DESC, id DESC LIMIT ${param(filter.limit + 1)}`,
    values,
  };
}

/** Makes LIKE take `_`, `%` and the backslash literally: `sensor.payload_` must not match `sensor.payloadX`. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

function lowestSeverityNumber(severities: readonly string[]): number | undefined {
  const numbers = severities
    .filter((s): s is Severity => Object.hasOwn(OTEL_SEVERITY_NUMBER, s))
    .map((s) => OTEL_SEVERITY_NUMBER[s]);
  return numbers.length > 0 ? Math.min(...numbers) : undefined;
}
