import { OTEL_SEVERITY_NUMBER } from '../../core/domain/severity.ts';
import {
  AUDIT_TYPE_PREFIX,
  type Dimension,
  type EventQueryFilter,
  type Interval,
  type PageRequest,
} from '../../core/query/filter.ts';
import { EVENT_COLUMNS } from './event-rows.ts';

/** A statement and its parameters: every value travels in `values`, the text only ever holds `$n`. */
export interface SqlQuery {
  text: string;
  values: unknown[];
}

/** Collects parameters: every value travels in `values`, the SQL text only ever holds `$n`. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** The WHERE conditions of a filter. */
export function filterConditions(filter: EventQueryFilter, p: Params): string[] {
  const conditions = [
    `occurred_at >= ${p.add(filter.since.toISOString())}::timestamptz`,
    `occurred_at < ${p.add(filter.until.toISOString())}::timestamptz`,
  ];
  if (filter.entity) {
    const { type, id } = filter.entity;
    // Either side can use its own index (events_entity_idx, events_related_idx) in a BitmapOr.
    conditions.push(
      `((entity_type = ${p.add(type)} AND entity_id = ${p.add(id)}) OR related @> ${p.add(JSON.stringify([{ type, id }]))}::jsonb)`,
    );
  }
  if (filter.type !== undefined) {
    conditions.push(
      filter.type.endsWith('.*')
        ? `type LIKE ${p.add(`${escapeLike(filter.type.slice(0, -1))}%`)}`
        : `type = ${p.add(filter.type)}`,
    );
  }
  if (filter.severities !== undefined) conditions.push(`severity = ANY(${p.add(filter.severities)}::text[])`);
  // Spelled as a severity_number range so the planner can use the partial index of ERROR and above.
  const lowest = lowestSeverityNumber(filter);
  if (lowest !== undefined) conditions.push(`severity_number >= ${p.add(lowest)}::smallint`);
  if (filter.actor !== undefined) conditions.push(`actor = ${p.add(filter.actor)}`);
  if (filter.source !== undefined) {
    conditions.push(`source_channel = ${p.add(filter.source.channel)}`);
    if (filter.source.principal !== undefined) conditions.push(`source_principal = ${p.add(filter.source.principal)}`);
  }
  if (filter.q !== undefined) conditions.push(`payload::text ILIKE ${p.add(`%${escapeLike(filter.q)}%`)}`);
  if (filter.id !== undefined) conditions.push(`id = ${p.add(filter.id)}::uuid`);
  for (const prefix of filter.hiddenTypePrefixes ?? [])
    conditions.push(`type NOT LIKE ${p.add(`${escapeLike(prefix)}%`)}`);
  if (filter.hiddenAuditOf !== undefined)
    conditions.push(
      `NOT (actor = ${p.add(filter.hiddenAuditOf)} AND type LIKE ${p.add(`${escapeLike(AUDIT_TYPE_PREFIX)}%`)})`,
    );
  return conditions;
}

/** One page in (occurred_at, id) order; one row more than the limit, to tell whether a next page exists. */
export function buildEventPageQuery(filter: EventQueryFilter, page: PageRequest): SqlQuery {
  if (!Number.isInteger(page.limit) || page.limit < 1) throw new RangeError(`limit must be a positive integer`);
  const p = new Params();
  const conditions = filterConditions(filter, p);
  const direction = page.order === 'asc' ? 'ASC' : 'DESC';
  if (page.after) {
    const comparison = page.order === 'asc' ? '>' : '<';
    conditions.push(
      `(occurred_at, id) ${comparison} (${p.add(page.after.occurredAt)}::timestamptz, ${p.add(page.after.id)}::uuid)`,
    );
  }
  return {
    text:
      `SELECT ${EVENT_COLUMNS} FROM events WHERE ${conditions.join(' AND ')} ` +
      `ORDER BY occurred_at ${direction}, id ${direction} LIMIT ${p.add(page.limit + 1)}`,
    values: p.values,
  };
}

/** What events can be counted by; the SQL of each is fixed here, never taken from input. */
const DIMENSIONS: Record<Dimension, string> = {
  severity: 'severity',
  type: 'type',
  entity: "entity_type || ':' || entity_id",
  actor: 'actor',
};

const INTERVALS: Record<Interval, string> = { minute: '1 minute', hour: '1 hour', day: '1 day' };

/** Counts per time bucket and key. Buckets are aligned to UTC (date_bin from 2000-01-01T00:00Z). */
export function buildStatsQuery(
  filter: EventQueryFilter,
  options: { interval: Interval; groupBy: Dimension; maxRows: number },
): SqlQuery {
  const p = new Params();
  const bucket = `date_bin(${p.add(INTERVALS[options.interval])}::interval, occurred_at, TIMESTAMPTZ '2000-01-01 00:00:00+00')`;
  const where = filterConditions(filter, p).join(' AND ');
  return {
    text:
      `SELECT ${bucket} AS bucket, ${DIMENSIONS[options.groupBy]} AS key, count(*)::int AS count ` +
      `FROM events WHERE ${where} GROUP BY 1, 2 ORDER BY 1, 2 LIMIT ${p.add(options.maxRows + 1)}`,
    values: p.values,
  };
}

/** Totals per key, largest first (ties by key), at most `limit` keys. */
export function buildTotalsQuery(filter: EventQueryFilter, dimension: Dimension, limit: number): SqlQuery {
  const p = new Params();
  const where = filterConditions(filter, p).join(' AND ');
  return {
    text:
      `SELECT ${DIMENSIONS[dimension]} AS key, count(*)::int AS count FROM events WHERE ${where} ` +
      `GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${p.add(limit)}`,
    values: p.values,
  };
}

/** Makes LIKE take `_`, `%` and the backslash (LIKE's default escape) literally. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

function lowestSeverityNumber(filter: EventQueryFilter): number | undefined {
  const numbers = (filter.severities ?? []).map((s) => OTEL_SEVERITY_NUMBER[s]);
  const lowestListed = numbers.length > 0 ? Math.min(...numbers) : undefined;
  const minimum = filter.minSeverity ? OTEL_SEVERITY_NUMBER[filter.minSeverity] : undefined;
  if (lowestListed === undefined) return minimum;
  return minimum === undefined ? lowestListed : Math.max(lowestListed, minimum);
}
