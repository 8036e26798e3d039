import { ARCHIVE_COLUMNS } from './schema.ts';

/**
 * The queries auditors need, in the SQL both engines share (Trino for Athena, DuckDB locally): no `::` casts, no
 * engine-specific functions. `:name` marks a parameter; timestamps are `YYYY-MM-DD HH:MM:SS.mmm` UTC, months `YYYY-MM`.
 * Every query narrows `year` so Athena reads only the partitions it needs.
 */
export interface NamedQuery {
  description: string;
  params: readonly string[];
  sql: string;
}

const ALL_COLUMNS = ARCHIVE_COLUMNS.map((c) => c.name).join(', ');
const WINDOW = `year BETWEEN substr(:since, 1, 4) AND substr(:until, 1, 4)
  AND occurred_at >= CAST(:since AS TIMESTAMP) AND occurred_at < CAST(:until AS TIMESTAMP)`;

export const NAMED_QUERIES = {
  'entity-events': {
    description: 'Events of one entity over a period, newest first',
    params: ['entity_type', 'entity_id', 'since', 'until'],
    sql: `SELECT ${ALL_COLUMNS} FROM events
WHERE entity_type = :entity_type AND entity_id = :entity_id
  AND ${WINDOW}
ORDER BY occurred_at DESC, id DESC`,
  },
  'critical-by-month': {
    description: 'CRITICAL events per month and type',
    params: ['from_month', 'to_month'],
    sql: `SELECT year, month, type, count(*) AS events FROM events
WHERE severity = 'CRITICAL'
  AND year BETWEEN substr(:from_month, 1, 4) AND substr(:to_month, 1, 4)
  AND concat(year, '-', month) BETWEEN :from_month AND :to_month
GROUP BY year, month, type
ORDER BY year, month, events DESC, type`,
  },
  'top-override-actors': {
    description: 'Who made the most manual overrides (user.override, controller.register.overridden)',
    params: ['since', 'until'],
    sql: `SELECT actor, count(*) AS overrides, count(DISTINCT entity_type || ':' || entity_id) AS targets FROM events
WHERE type IN ('user.override', 'controller.register.overridden')
  AND ${WINDOW}
GROUP BY actor
ORDER BY overrides DESC, actor
LIMIT 50`,
  },
  'error-rate-by-type-day': {
    description: 'Share of ERROR and CRITICAL events per event type and day',
    params: ['since', 'until'],
    sql: `SELECT CAST(occurred_at AS DATE) AS event_day, type, count(*) AS events,
  sum(CASE WHEN severity_number >= 17 THEN 1 ELSE 0 END) AS errors,
  round(CAST(sum(CASE WHEN severity_number >= 17 THEN 1 ELSE 0 END) AS DOUBLE) / count(*), 4) AS error_rate
FROM events
WHERE ${WINDOW}
GROUP BY CAST(occurred_at AS DATE), type
ORDER BY event_day, type`,
  },
  'operator-activity': {
    description: 'Everything one operator (actor, e.g. user:alice) did in a window, oldest first',
    params: ['actor', 'since', 'until'],
    sql: `SELECT ${ALL_COLUMNS} FROM events
WHERE actor = :actor
  AND ${WINDOW}
ORDER BY occurred_at, id`,
  },
} as const satisfies Record<string, NamedQuery>;

export type NamedQueryName = keyof typeof NAMED_QUERIES;

/** The query with its `:name` parameters replaced by positional `?`, and the values in that order. */
export function bindNamedQuery(query: NamedQuery, args: Readonly<Record<string, string>>) {
  const missing = query.params.filter((name) => args[name] === undefined);
  if (missing.length) throw new Error(`missing parameter${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  const values: string[] = [];
  const sql = query.sql.replace(/:([a-z_]+)/g, (_, name: string) => {
    values.push(args[name]!);
    return '?';
  });
  return { sql, values };
}
