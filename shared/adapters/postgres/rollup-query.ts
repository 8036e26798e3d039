import { SEVERITIES, type Severity } from '../../core/domain/severity.ts';
import type { Dimension, EventQueryFilter, Interval } from '../../core/query/filter.ts';
import type { StatsPlan } from '../../core/query/rollups.ts';
import {
  bucketExpression,
  DIMENSIONS,
  filterConditions,
  hiddenConditions,
  Params,
  type SqlQuery,
  typeCondition,
} from './event-query.ts';

/**
 * GET /stats from the rollups (migration 013_event_counts), as a plan of core/query/rollups.ts lays it out: the rows
 * of each level's range, the deltas not rolled up yet over the hours those span, and the raw rows of the partial
 * hours at the edges, summed per bucket and key. Every source is filtered alike; the actor's table serves a filter on
 * the actor (hideOwnAudit's included) or a count by it, the smaller one everything else.
 */
export function buildRollupStatsQuery(
  filter: EventQueryFilter,
  plan: StatsPlan,
  options: { interval: Interval; groupBy: Dimension; maxRows: number },
): SqlQuery | undefined {
  if (options.groupBy === 'entity') throw new RangeError('the rollups do not count by entity id');
  const p = new Params();
  const key = DIMENSIONS[options.groupBy];
  const byActor = filter.actor !== undefined || filter.hiddenAuditOf !== undefined || options.groupBy === 'actor';
  const table = byActor ? 'event_counts_by_actor' : 'event_counts';
  const sources: string[] = [];
  for (const range of plan.levels) {
    const where = [
      `level = ${p.add(range.level)}`,
      `bucket >= ${p.add(range.since.toISOString())}::timestamptz`,
      `bucket < ${p.add(range.until.toISOString())}::timestamptz`,
      ...rollupConditions(filter, p),
    ];
    sources.push(`SELECT bucket AS at, ${key} AS key, count FROM ${table} WHERE ${where.join(' AND ')}`);
  }
  if (plan.deltas) {
    const where = [
      `hour >= ${p.add(plan.deltas.since.toISOString())}::timestamptz`,
      `hour < ${p.add(plan.deltas.until.toISOString())}::timestamptz`,
      ...rollupConditions(filter, p),
    ];
    sources.push(`SELECT hour AS at, ${key} AS key, count FROM event_count_deltas WHERE ${where.join(' AND ')}`);
  }
  for (const range of plan.raw) {
    const where = filterConditions({ ...filter, ...range }, p);
    sources.push(
      `SELECT occurred_at AS at, ${key} AS key, 1::bigint AS count FROM events WHERE ${where.join(' AND ')}`,
    );
  }
  if (sources.length === 0) return undefined;
  const bucket = bucketExpression(options.interval, 'at', p);
  return {
    text:
      `SELECT ${bucket} AS bucket, key, sum(count)::bigint AS count FROM (${sources.join(' UNION ALL ')}) AS counted ` +
      `GROUP BY 1, 2 ORDER BY 1, 2 LIMIT ${p.add(options.maxRows + 1)}`,
    values: p.values,
  };
}

/** The filter's conditions the rollups can answer (rollupRefusal in core/query/rollups.ts admits no other). */
function rollupConditions(filter: EventQueryFilter, p: Params): string[] {
  const conditions: string[] = [];
  if (filter.type !== undefined) conditions.push(typeCondition(filter.type, p));
  const severities = allowedSeverities(filter);
  if (severities) conditions.push(`severity = ANY(${p.add(severities)}::text[])`);
  if (filter.actor !== undefined) conditions.push(`actor = ${p.add(filter.actor)}`);
  conditions.push(...hiddenConditions(filter, p));
  return conditions;
}

/** The severities `severity` and `minSeverity` leave (undefined: all). */
function allowedSeverities(filter: EventQueryFilter): Severity[] | undefined {
  if (filter.severities === undefined && filter.minSeverity === undefined) return undefined;
  const lowest = filter.minSeverity ? SEVERITIES.indexOf(filter.minSeverity) : 0;
  return SEVERITIES.filter((s, i) => i >= lowest && (filter.severities?.includes(s) ?? true));
}
