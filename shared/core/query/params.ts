import { z } from 'zod';
import { parseEntityKey } from '../domain/entity.ts';
import { type CHANNELS, MAX_CLOCK_SKEW_MS } from '../domain/event.ts';
import { SEVERITIES, type Severity, severitySchema } from '../domain/severity.ts';
import { unstorableCharacter } from '../domain/storable.ts';
import { type EventQueryFilter, windowLongerThan } from './filter.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, parseInstant } from './instant.ts';
import { MAX_CURSOR_LENGTH } from './page-cursor.ts';

/** Without since/until a query reads the last week. */
export const DEFAULT_WINDOW_DAYS = 7;
/** The widest window one request may read: about three months, so at most four monthly partitions. */
export const MAX_WINDOW_DAYS = 93;
const DAY_MS = 86_400_000;
/** The instants a window may reach: four-digit years, which PostgreSQL's timestamptz and ISO-8601 text both hold. */
export const EARLIEST_INSTANT = new Date('0001-01-01T00:00:00.000Z');
export const LATEST_INSTANT = new Date('9999-12-31T23:59:59.999Z');
const INSTANT_RANGE = 'between 0001-01-01 and 9999-12-31';

const filterFields = {
  entity: z
    .string()
    .max(200)
    .optional()
    .describe('type:id, e.g. robot:r-17: the entity, or events that list it in related'),
  type: z
    .string()
    .max(128)
    .regex(/^[a-z][a-z0-9_.]*(\.\*)?$/, 'type must be an event type (robot.online) or a prefix ending in .* (robot.*)')
    .optional()
    .describe('an event type, or a prefix ending in .* (robot.*)'),
  severity: z.string().max(64).optional().describe('one severity or a comma list: INFO,WARNING,ERROR,CRITICAL'),
  minSeverity: z.enum(SEVERITIES).optional().describe('this severity and above, e.g. ERROR'),
  actor: z
    .string()
    .max(200)
    .regex(/^(user|device|service):[^\s:]{1,128}$/, 'must be user:<id>, device:<id> or service:<id>')
    .optional()
    .describe('who did it: user:alice, device:r-17, service:writer'),
  source: z
    .string()
    .max(300)
    .regex(/^(iot|http|internal)(:\S{1,256})?$/, 'must be iot, http or internal, optionally :principal (iot:r-17)')
    .optional()
    .describe('the channel (iot, http, internal), optionally with the principal: iot:r-17'),
  since: z
    .string()
    .max(64)
    .optional()
    .describe(`ISO-8601 or relative (30m, 24h, 7d); default: ${DEFAULT_WINDOW_DAYS}d`),
  until: z.string().max(64).optional().describe('ISO-8601 or relative; exclusive; default: now'),
  q: z.string().min(1).max(200).optional().describe('text inside the payload (case-insensitive substring)'),
  id: z.uuid({ message: 'must be an event id (UUID)' }).optional().describe('one event, by id'),
  hideOwnAudit: z
    .enum(['true', 'false'])
    .optional()
    .describe("true: leave out the reader's own audit.* records (what their reads and requests left); default false"),
};

const order = z.enum(['desc', 'asc']).default('desc').describe('desc: newest first (default); asc: oldest first');

export const eventsQuerySchema = z.strictObject({
  ...filterFields,
  order,
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: z.string().max(MAX_CURSOR_LENGTH).optional().describe('the "next" value of the previous page'),
});

const { entity: _pathEntity, ...historyFields } = eventsQuerySchema.shape;
/** GET /entities/{type}/{id}/events: the entity comes from the path; without since/until, the whole past. */
export const historyQuerySchema = z.strictObject(historyFields);

export const STATS_INTERVALS = ['minute', 'hour', 'day', 'month'] as const;
export const STATS_GROUPS = ['severity', 'type', 'entity', 'entityType', 'actor'] as const;
export const statsQuerySchema = z.strictObject({
  ...filterFields,
  interval: z.enum(STATS_INTERVALS).default('hour').describe('bucket width: minute, hour, day or month (UTC)'),
  groupBy: z
    .enum(STATS_GROUPS)
    .default('severity')
    .describe('what each series counts by: severity, type, entity (type:id), entityType or actor'),
});

export const EXPORT_FORMATS = ['csv', 'json', 'ndjson'] as const;
export const exportQuerySchema = z.strictObject({
  ...filterFields,
  order,
  format: z.enum(EXPORT_FORMATS).default('csv'),
});

export const reportQuerySchema = z.strictObject({
  ...filterFields,
  title: z.string().min(1).max(200).optional().describe('the report title'),
});

/** What a saved view keeps: the filters of GET /events, as the UI sends them. */
export const savedFiltersSchema = z.strictObject(filterFields);
export const savedViewInputSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(64)
    .refine((name) => !/\p{Cc}/u.test(name), 'name may not contain control characters'),
  filters: savedFiltersSchema,
});

export type FilterParams = z.output<typeof savedFiltersSchema>;

/** A view's name, in POST /views and in the path of DELETE /views/{name}. */
export const viewNameSchema = savedViewInputSchema.shape.name;
/** GET /views and DELETE /views/{name}: whose views (an admin may name another user; default: the caller). */
export const viewsQuerySchema = z.strictObject({
  owner: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe("whose views: the caller's by default; admins may name another user"),
});

export type Parsed<T> = { ok: true; value: T } | { ok: false; parameter: string; message: string };

/**
 * Checks query parameters against a schema; on failure names the first offending parameter and why. A value the audit
 * trail could not store (NUL, a lone surrogate, a non-character: core/domain/storable.ts) is refused first: every
 * read is audited with its parameters, and an audit event that cannot be stored would fail the read.
 */
export function parseParams<S extends z.ZodType>(
  schema: S,
  query: Record<string, string | undefined>,
): Parsed<z.output<S>> {
  for (const [parameter, value] of Object.entries(query)) {
    const bad = value === undefined ? undefined : unstorableCharacter(value);
    if (bad) return { ok: false, parameter, message: bad };
  }
  const parsed = schema.safeParse(query);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0]!;
  if (issue.code === 'unrecognized_keys')
    return { ok: false, parameter: issue.keys.join(','), message: 'unknown query parameter' };
  return { ok: false, parameter: issue.path.map(String).join('.') || '(query)', message: issue.message };
}

/**
 * Turns filter parameters into a store filter with a closed time window: since alone reads forward from it
 * (at most `maxWindowDays`, never past now), until alone reads the DEFAULT_WINDOW_DAYS before it, neither reads
 * the last DEFAULT_WINDOW_DAYS. "now" includes the clock skew a device may have, so fresh events are never cut off.
 * `maxWindowDays` (default MAX_WINDOW_DAYS) is the longest window allowed; GET /stats passes Infinity and checks
 * the window itself, once it knows whether rollups answer it (core/query/rollups.ts).
 * Uncapped (an entity's history, whose reads the entity's own indexes bound): no length limit, and a missing since
 * reaches back to EARLIEST_INSTANT, a missing until to now.
 */
export function resolveFilter(
  params: FilterParams,
  now: Date,
  { maxWindowDays = MAX_WINDOW_DAYS, capped = true }: { maxWindowDays?: number; capped?: boolean } = {},
): Parsed<EventQueryFilter> {
  const filter: Partial<EventQueryFilter> = {};
  if (params.entity !== undefined) {
    const entity = parseEntityKey(params.entity);
    if (!entity) return { ok: false, parameter: 'entity', message: 'must be type:id, e.g. robot:r-17' };
    filter.entity = entity;
  }
  if (params.type !== undefined) filter.type = params.type;
  if (params.severity !== undefined) {
    const severities = params.severity.split(',').map((s) => s.trim().toUpperCase());
    const bad = severities.find((s) => !severitySchema.safeParse(s).success);
    if (bad !== undefined)
      return { ok: false, parameter: 'severity', message: `"${bad}" is not one of ${SEVERITIES.join(', ')}` };
    filter.severities = severities as Severity[];
  }
  if (params.minSeverity !== undefined) filter.minSeverity = params.minSeverity;
  if (params.actor !== undefined) filter.actor = params.actor;
  if (params.source !== undefined) {
    const at = params.source.indexOf(':');
    filter.source =
      at < 0
        ? { channel: params.source as (typeof CHANNELS)[number] }
        : { channel: params.source.slice(0, at) as (typeof CHANNELS)[number], principal: params.source.slice(at + 1) };
  }
  if (params.q !== undefined) filter.q = params.q;
  if (params.id !== undefined) filter.id = params.id;

  const instants: { since?: Date; until?: Date } = {};
  for (const key of ['since', 'until'] as const) {
    const text = params[key];
    if (text === undefined) continue;
    const instant = parseInstant(text, now);
    if (!instant)
      return {
        ok: false,
        parameter: key,
        message: 'must be ISO-8601 (2026-05-01T00:00:00Z) or relative (30m, 24h, 7d)',
      };
    instants[key] = instant;
  }
  const latest = new Date(now.getTime() + MAX_CLOCK_SKEW_MS);
  const limit = capped ? maxWindowDays : Number.POSITIVE_INFINITY;
  const until =
    instants.until ??
    (instants.since ? new Date(Math.min(latest.getTime(), instants.since.getTime() + limit * DAY_MS)) : latest);
  const since =
    instants.since ?? (capped ? new Date(until.getTime() - DEFAULT_WINDOW_DAYS * DAY_MS) : EARLIEST_INSTANT);
  // Checked before the window's length: a window reaching past them would fail in PostgreSQL, not here.
  if (until > LATEST_INSTANT) return { ok: false, parameter: 'until', message: `must be ${INSTANT_RANGE}` };
  if (since < EARLIEST_INSTANT)
    return instants.since
      ? { ok: false, parameter: 'since', message: `must be ${INSTANT_RANGE}` }
      : {
          ok: false,
          parameter: 'until',
          message: `the ${DEFAULT_WINDOW_DAYS} days before until must be ${INSTANT_RANGE}: give since too`,
        };
  if (since >= until) return { ok: false, parameter: 'since', message: 'must be before until' };
  if (windowLongerThan({ since, until }, limit)) return windowTooLong();
  return { ok: true, value: { ...filter, since, until } };
}

/** The refusal of a window longer than MAX_WINDOW_DAYS, for a read of raw rows. */
export function windowTooLong(detail = ''): { ok: false; parameter: string; message: string } {
  return {
    ok: false,
    parameter: 'since',
    message: `the window since..until is longer than ${MAX_WINDOW_DAYS} days${detail}: narrow it, or query the archive for older months`,
  };
}
