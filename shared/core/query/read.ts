import type { z } from 'zod';
import { hiddenTypePrefixes } from '../access/policy.ts';
import type { Principal } from '../access/principal.ts';
import type { EntityRef } from '../domain/entity.ts';
import type { ArchiveJobs } from '../ports/archive-jobs.ts';
import type { Clock } from '../ports/events.ts';
import type { Access, AccessAuditor, QueryStore, StatsRow } from '../ports/query.ts';
import { recordOrRefuse, unstorableParameter } from './access-auditor.ts';
import { type Dimension, type EventQueryFilter, type Interval, type SortOrder, windowLongerThan } from './filter.ts';
import { type ArchivePointer, startArchiveJob, type WalkedEvent, walkPage } from './history-walk.ts';
import {
  applyPageCursor,
  type CursorScope,
  type CursorSigner,
  encodePageCursor,
  type WalkState,
} from './page-cursor.ts';
import {
  eventsQuerySchema,
  type FilterParams,
  historyQuerySchema,
  MAX_WINDOW_DAYS,
  parseParams,
  resolveFilter,
  statsQuerySchema,
  windowTooLong,
} from './params.ts';
import { bucketCount, planStats, type StatsCoverage, type StatsPlan } from './rollups.ts';

export interface ReadDeps {
  store: QueryStore;
  audit: AccessAuditor;
  clock: Clock;
  /** Signs and checks the `next` cursors of pages (the deployment's secret). */
  cursors: CursorSigner;
  /** The archive's jobs, where pages continue once PostgreSQL runs out (Athena on AWS, DuckDB locally). */
  archiveJobs?: ArchiveJobs;
}

/** Who reads, through which route, with which raw parameters. */
export interface ReadRequest {
  principal: Principal;
  route: string;
  query: Record<string, string | undefined>;
  sourceIp?: string;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; parameter: string; message: string };

export interface Window {
  since: string;
  until: string;
}

/**
 * Parses the parameters with `schema` and resolves the filter the reader may see: the window closed, types hidden.
 * First of all, the read's audit record must be storable (`entity`: the path's): a read that cannot be recorded is
 * refused before anything is read.
 */
export function readerFilter<S extends z.ZodType<FilterParams>>(
  schema: S,
  request: ReadRequest,
  now: Date,
  entity?: EntityRef,
  window?: { maxWindowDays: number },
): Outcome<{ params: z.output<S>; filter: EventQueryFilter }> {
  const unstorable = unstorableParameter(request.query, entity);
  if (unstorable) return { ok: false, ...unstorable };
  const params = parseParams(schema, request.query);
  if (!params.ok) return params;
  // An entity's history is not capped: its reads follow the entity's own indexes (event-query.ts).
  const filter = resolveFilter(params.value, now, { ...window, capped: entity === undefined });
  if (!filter.ok) return filter;
  const hidden = hiddenTypePrefixes(request.principal);
  const ownAudit = params.value.hideOwnAudit === 'true' ? { hiddenAuditOf: `user:${request.principal.user}` } : {};
  return {
    ok: true,
    value: {
      params: params.value,
      filter: { ...filter.value, ...(hidden.length && { hiddenTypePrefixes: hidden }), ...ownAudit },
    },
  };
}

export const windowOf = (filter: EventQueryFilter): Window => ({
  since: filter.since.toISOString(),
  until: filter.until.toISOString(),
});

/** What a page says about the archive (history-walk.ts), with the cursor that starts its job when one may. */
export interface ArchiveAnswer extends Omit<ArchivePointer, 'start'> {
  /** POST it to the route's `/archive` to start the archive job; its answer's `next` pages through the results. */
  startCursor?: string;
}

export interface EventsPage {
  events: WalkedEvent[];
  next: string | null;
  window: Window;
  archive?: ArchiveAnswer;
}

interface ResolvedRead {
  filter: EventQueryFilter;
  order: SortOrder;
  limit: number;
  state: WalkState | undefined;
  scope: CursorScope;
}

/** The filter, order, and where the walk stands: from the cursor when one is given (its window replaces the fresh one). */
function resolveRead(deps: ReadDeps, request: ReadRequest, entity?: EntityRef): Outcome<ResolvedRead> {
  const resolved = entity
    ? readerFilter(historyQuerySchema, request, deps.clock(), entity)
    : readerFilter(eventsQuerySchema, request, deps.clock());
  if (!resolved.ok) return resolved;
  const { params } = resolved.value;
  let filter = entity ? { ...resolved.value.filter, entity } : resolved.value.filter;
  const scopeOf = (f: EventQueryFilter): CursorScope => ({
    filter: f,
    order: params.order,
    user: request.principal.user,
    route: entity ? 'entity history' : 'events',
    ...(!entity && { maxWindowDays: MAX_WINDOW_DAYS }),
  });
  let state: WalkState | undefined;
  if (params.cursor !== undefined) {
    const cursor = applyPageCursor(deps.cursors, params.cursor, scopeOf(filter));
    if (!cursor.ok) return { ok: false, parameter: 'cursor', message: cursor.message };
    ({ filter, state } = cursor);
  }
  return { ok: true, value: { filter, order: params.order, limit: params.limit, state, scope: scopeOf(filter) } };
}

/**
 * GET /events, and GET /entities/{type}/{id}/events when `entity` is given: one audited page of the walk from
 * PostgreSQL into the archive (history-walk.ts). An entity's window is the whole past unless since/until narrow it.
 */
export async function readEvents(
  deps: ReadDeps,
  request: ReadRequest,
  entity?: EntityRef,
): Promise<Outcome<EventsPage>> {
  const read = resolveRead(deps, request, entity);
  if (!read.ok) return read;
  const { filter, order, limit, state, scope } = read.value;
  const page = await walkPage(deps, filter, order, state, limit);
  await recordOrRefuse(() => deps.audit.record(accessOf(request, page.events.length, entity)));
  const { start, ...pointer } = page.archive ?? {};
  return {
    ok: true,
    value: {
      events: page.events,
      next: page.next ? encodePageCursor(deps.cursors, scope, page.next) : null,
      window: windowOf(filter),
      ...(page.archive && {
        archive: {
          ...(pointer as Omit<ArchivePointer, 'start'>),
          ...(start && { startCursor: encodePageCursor(deps.cursors, scope, start) }),
        },
      }),
    },
  };
}

export type ArchiveStartOutcome =
  | { ok: true; value: { job: string; state: 'running'; next: string } }
  | { ok: false; parameter: string; message: string }
  | { ok: false; status: 503; message: string };

/**
 * POST …/archive: starts the archive job a page's `archive.startCursor` asks for. A read like the others: recorded
 * before the job starts (rows 0: the job's rows are recorded by the GET pages that serve them).
 */
export async function startArchiveRead(
  deps: ReadDeps,
  request: ReadRequest,
  entity?: EntityRef,
): Promise<ArchiveStartOutcome> {
  const read = resolveRead(deps, request, entity);
  if (!read.ok) return read;
  const { filter, state, scope } = read.value;
  if (state?.phase !== 'archive' || state.job !== undefined)
    return { ok: false, parameter: 'cursor', message: 'must be the archive.startCursor of a page' };
  if (!deps.archiveJobs) return { ok: false, status: 503, message: 'this API is not set up to read the archive' };
  await recordOrRefuse(() => deps.audit.record(accessOf(request, 0, entity)));
  const started = await startArchiveJob(deps.archiveJobs, filter, state);
  if (started.phase !== 'archive' || !started.job) throw new Error('the archive job did not start');
  return {
    ok: true,
    value: { job: started.job, state: 'running', next: encodePageCursor(deps.cursors, scope, started) },
  };
}

/** At most this many buckets per series: a minute interval covers about a day and a half, a month one 166 years. */
export const MAX_STATS_BUCKETS = 2000;
/** At most this many (bucket, key) rows; more is reported as truncated. */
export const MAX_STATS_ROWS = 20_000;

export interface Stats {
  interval: string;
  groupBy: string;
  /** The window counted: the asked one, but a rollup answer's edge in an archived month is rounded to its hour. */
  window: Window;
  rows: StatsRow[];
  truncated: boolean;
  /** `rollups`: counted from the rollups (with raw rows at the edges); `events`: from raw rows alone. */
  basis: StatsPlan['basis'];
  /** Months of the window whose events are not in these counts (archived), `YYYY-MM`; empty when none. */
  archived: string[];
}

/**
 * Counts over time as planStats lays them out: from the rollups when they can answer, else from raw rows. `coverage`:
 * the store's, when the caller has read it already (read here otherwise).
 */
export async function countOverTime(
  store: ReadDeps['store'],
  filter: EventQueryFilter,
  options: { interval: Interval; groupBy: Dimension; maxRows: number },
  coverage?: StatsCoverage,
): Promise<{ plan: StatsPlan; rows: StatsRow[] }> {
  const plan = planStats(filter, options, coverage ?? (await store.statsCoverage()));
  return { plan, rows: await store.stats(filter, { ...options, plan }) };
}

/**
 * GET /stats: counts per time bucket and severity, type, entity, entity type or actor. Windows of any length when the
 * rollups answer (core/query/rollups.ts), at most MAX_WINDOW_DAYS when raw rows must.
 */
export async function readStats(deps: ReadDeps, request: ReadRequest): Promise<Outcome<Stats>> {
  const resolved = readerFilter(statsQuerySchema, request, deps.clock(), undefined, {
    maxWindowDays: Number.POSITIVE_INFINITY,
  });
  if (!resolved.ok) return resolved;
  const { params, filter } = resolved.value;
  const plan = planStats(filter, params, await deps.store.statsCoverage());
  if (plan.basis === 'events' && windowLongerThan(filter, MAX_WINDOW_DAYS))
    return windowTooLong(` (${plan.reason}; the rollups answer type, severity, minSeverity and actor over any window)`);
  const buckets = bucketCount(plan.window, params.interval);
  if (buckets > MAX_STATS_BUCKETS)
    return {
      ok: false,
      parameter: 'interval',
      message: `${params.interval} buckets over this window would be ${buckets}; the limit is ${MAX_STATS_BUCKETS}: use a coarser interval or a shorter window`,
    };
  const rows = await deps.store.stats(filter, {
    interval: params.interval,
    groupBy: params.groupBy,
    maxRows: MAX_STATS_ROWS,
    plan,
  });
  const truncated = rows.length > MAX_STATS_ROWS;
  const kept = truncated ? rows.slice(0, MAX_STATS_ROWS) : rows;
  const counted = kept.reduce((sum, row) => sum + row.count, 0);
  await recordOrRefuse(() => deps.audit.record(accessOf(request, counted)));
  return {
    ok: true,
    value: {
      interval: params.interval,
      groupBy: params.groupBy,
      window: windowOf(plan.window),
      rows: kept,
      truncated,
      basis: plan.basis,
      archived: plan.archived,
    },
  };
}

/**
 * The audit record of a read: the raw parameters (with the path's entity), and how many rows it returned when the
 * answer is complete before anything is sent (`rows` undefined: it is streamed, and its outcome recorded after).
 */
export function accessOf(request: ReadRequest, rows: number | undefined, entity?: EntityRef): Access {
  const filters: Record<string, unknown> = { ...request.query };
  if (entity) filters['entity'] = `${entity.type}:${entity.id}`;
  return {
    principal: request.principal,
    route: request.route,
    filters,
    ...(rows !== undefined && { rows }),
    ...(request.sourceIp && { sourceIp: request.sourceIp }),
  };
}
