import { INTERACTION_EVENT_TYPE } from '../interactions/interaction.ts';
import { ARCHIVE_COLUMNS } from './schema.ts';

/**
 * The queries auditors need, in the SQL both engines share (Trino for Athena, DuckDB locally): no `::` casts, no
 * engine-specific functions (Trino's `json_extract_scalar` is given to DuckDB by the local engine). `:name` marks a parameter; timestamps are `YYYY-MM-DD HH:MM:SS.mmm` UTC, months `YYYY-MM`.
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

/**
 * The API-interaction log's records (`audit.api.request`, core/interactions), one row per record: `requests` is its
 * count (a per-minute summary of identical failures counts many). Sum `requests`, never count rows.
 */
const INTERACTIONS = `SELECT json_extract_scalar(payload, '$.route') AS route,
    CAST(json_extract(payload, '$.status') AS INTEGER) AS status,
    json_extract_scalar(payload, '$.roles') AS roles,
    CAST(json_extract(payload, '$.count') AS BIGINT) AS requests,
    source_ip, source_principal, occurred_at
  FROM events
  WHERE type = '${INTERACTION_EVENT_TYPE}'
    AND ${WINDOW}`;

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
  'api-error-rate-by-route': {
    description:
      'API requests per route with client (4xx) and server (5xx) errors and the error rate (e.g. the last 24 h)',
    params: ['since', 'until'],
    sql: `SELECT route, sum(requests) AS requests,
  sum(CASE WHEN status >= 400 AND status < 500 THEN requests ELSE 0 END) AS client_errors,
  sum(CASE WHEN status >= 500 THEN requests ELSE 0 END) AS server_errors,
  round(CAST(sum(CASE WHEN status >= 400 THEN requests ELSE 0 END) AS DOUBLE) / sum(requests), 4) AS error_rate
FROM (${INTERACTIONS}) AS interactions
GROUP BY route
ORDER BY error_rate DESC, requests DESC, route`,
  },
  'api-failed-auth-by-ip': {
    description: 'Failed authentications (401) per source IP: how many, on how many routes, first and last seen',
    params: ['since', 'until'],
    sql: `SELECT source_ip, sum(requests) AS failures, count(DISTINCT route) AS routes,
  min(occurred_at) AS first_seen, max(occurred_at) AS last_seen
FROM (${INTERACTIONS}) AS interactions
WHERE status = 401
GROUP BY source_ip
ORDER BY failures DESC, source_ip
LIMIT 100`,
  },
  'api-calls-by-role': {
    description: "API requests per caller's roles (unauthenticated: no valid credentials), with refusals and callers",
    params: ['since', 'until'],
    sql: `SELECT roles, sum(requests) AS requests,
  sum(CASE WHEN status >= 400 THEN requests ELSE 0 END) AS refused,
  count(DISTINCT source_principal) AS principals
FROM (${INTERACTIONS}) AS interactions
GROUP BY roles
ORDER BY requests DESC, roles`,
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
