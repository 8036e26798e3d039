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
  const conditions = commonConditions(filter, p);
  const entity = entityConditions(filter, p);
  if (entity) conditions.push(`(${entity.own} OR ${entity.related})`);
  return conditions;
}

/** The entity's own events, and those naming it in related: each side has its own index. */
function entityConditions(filter: EventQueryFilter, p: Params): { own: string; related: string } | undefined {
  if (!filter.entity) return undefined;
  const { type, id } = filter.entity;
  return {
    own: `(entity_type = ${p.add(type)} AND entity_id = ${p.add(id)})`,
    related: `related @> ${p.add(JSON.stringify([{ type, id }]))}::jsonb`,
  };
}

/** Every condition but the entity's. */
function commonConditions(filter: EventQueryFilter, p: Params): string[] {
  const conditions = [
    `occurred_at >= ${p.add(filter.since.toISOString())}::timestamptz`,
    `occurred_at < ${p.add(filter.until.toISOString())}::timestamptz`,
  ];
  if (filter.type !== undefined) conditions.push(typeCondition(filter.type, p));
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
  conditions.push(...hiddenConditions(filter, p));
  return conditions;
}

/** An exact type, or a prefix ending in `.*`; on `type`, which events and the rollup tables all have. */
export function typeCondition(type: string, p: Params): string {
  return type.endsWith('.*') ? `type LIKE ${p.add(`${escapeLike(type.slice(0, -1))}%`)}` : `type = ${p.add(type)}`;
}

/**
 * What the reader may not see (types hidden from the role) and chose not to see (hideOwnAudit: their own audit.*
 * records), on `type` and `actor`: raw rows and the rollups leave out the same events.
 */
export function hiddenConditions(filter: EventQueryFilter, p: Params): string[] {
  const conditions = (filter.hiddenTypePrefixes ?? []).map(
    (prefix) => `type NOT LIKE ${p.add(`${escapeLike(prefix)}%`)}`,
  );
  if (filter.hiddenAuditOf !== undefined)
    conditions.push(
      `NOT (actor = ${p.add(filter.hiddenAuditOf)} AND type LIKE ${p.add(`${escapeLike(AUDIT_TYPE_PREFIX)}%`)})`,
    );
  return conditions;
}

/**
 * One page in (occurred_at, id) order; one row more than the limit, to tell whether a next page exists. An entity's
 * page is two reads: its own events down events_entity_idx (an index scan per month, in order, that stops after the
 * page), and those naming it in related through events_related_idx (GIN: a bitmap of the matching rows below the
 * page's start, sorted). The related read has no ORDER BY of its own: with one, the planner may walk the primary key
 * backwards and filter every row of a month instead. UNION serves an event in both once.
 */
export function buildEventPageQuery(filter: EventQueryFilter, page: PageRequest): SqlQuery {
  if (!Number.isInteger(page.limit) || page.limit < 1) throw new RangeError(`limit must be a positive integer`);
  const p = new Params();
  const conditions = commonConditions(filter, p);
  const direction = page.order === 'asc' ? 'ASC' : 'DESC';
  if (page.after) {
    const comparison = page.order === 'asc' ? '>' : '<';
    const at = p.add(page.after.occurredAt);
    conditions.push(`(occurred_at, id) ${comparison} (${at}::timestamptz, ${p.add(page.after.id)}::uuid)`);
    // Implied by the row comparison, but only this form lets PostgreSQL prune the months on the other side.
    conditions.push(`occurred_at ${comparison}= ${at}::timestamptz`);
  }
  const orderBy = `ORDER BY occurred_at ${direction}, id ${direction}`;
  const limit = p.add(page.limit + 1);
  const entity = entityConditions(filter, p);
  if (!entity)
    return {
      text: `SELECT ${EVENT_COLUMNS} FROM events WHERE ${conditions.join(' AND ')} ${orderBy} LIMIT ${limit}`,
      values: p.values,
    };
  const where = (condition: string) => [...conditions, condition].join(' AND ');
  const own = `(SELECT ${EVENT_COLUMNS} FROM events WHERE ${where(entity.own)} ${orderBy} LIMIT ${limit})`;
  const related = `(SELECT ${EVENT_COLUMNS} FROM events WHERE ${where(entity.related)})`;
  return {
    text: `SELECT * FROM (${own} UNION ${related}) AS page ${orderBy} LIMIT ${limit}`,
    values: p.values,
  };
}

/**
 * What events can be counted by; the SQL of each is fixed here, never taken from input. The rollup tables
 * (migration 013) name their columns alike, for every dimension but `entity`.
 */
export const DIMENSIONS: Record<Dimension, string> = {
  severity: 'severity',
  type: 'type',
  entity: "entity_type || ':' || entity_id",
  entityType: 'entity_type',
  actor: 'actor',
};

/** The UTC bucket of `column`: date_bin from 2000-01-01T00:00Z for fixed widths, date_trunc for calendar months. */
export function bucketExpression(interval: Interval, column: string, p: Params): string {
  if (interval === 'month') return `date_trunc('month', ${column}, 'UTC')`;
  const width = { minute: '1 minute', hour: '1 hour', day: '1 day' }[interval];
  return `date_bin(${p.add(width)}::interval, ${column}, TIMESTAMPTZ '2000-01-01 00:00:00+00')`;
}

/** Counts per time bucket and key from raw rows. Buckets are aligned to UTC (bucketExpression). */
export function buildStatsQuery(
  filter: EventQueryFilter,
  options: { interval: Interval; groupBy: Dimension; maxRows: number },
): SqlQuery {
  const p = new Params();
  const bucket = bucketExpression(options.interval, 'occurred_at', p);
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
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

function lowestSeverityNumber(filter: EventQueryFilter): number | undefined {
  const numbers = (filter.severities ?? []).map((s) => OTEL_SEVERITY_NUMBER[s]);
  const lowestListed = numbers.length > 0 ? Math.min(...numbers) : undefined;
  const minimum = filter.minSeverity ? OTEL_SEVERITY_NUMBER[filter.minSeverity] : undefined;
  if (lowestListed === undefined) return minimum;
  return minimum === undefined ? lowestListed : Math.max(lowestListed, minimum);
}
