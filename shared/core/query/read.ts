import type { z } from 'zod';
import { hiddenTypePrefixes } from '../access/policy.ts';
import type { Principal } from '../access/principal.ts';
import type { EntityRef } from '../domain/entity.ts';
import type { StoredEvent } from '../domain/event.ts';
import type { Clock } from '../ports/events.ts';
import type { Access, AccessAuditor, QueryStore, StatsRow } from '../ports/query.ts';
import { recordOrRefuse, unstorableParameter } from './access-auditor.ts';
import { type EventQueryFilter, INTERVAL_MS } from './filter.ts';
import { applyPageCursor, type CursorSigner, encodePageCursor } from './page-cursor.ts';
import {
  eventsQuerySchema,
  type FilterParams,
  historyQuerySchema,
  parseParams,
  resolveFilter,
  statsQuerySchema,
} from './params.ts';

export interface ReadDeps {
  store: QueryStore;
  audit: AccessAuditor;
  clock: Clock;
  /** Signs and checks the `next` cursors of pages (the deployment's secret). */
  cursors: CursorSigner;
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
): Outcome<{ params: z.output<S>; filter: EventQueryFilter }> {
  const unstorable = unstorableParameter(request.query, entity);
  if (unstorable) return { ok: false, ...unstorable };
  const params = parseParams(schema, request.query);
  if (!params.ok) return params;
  const filter = resolveFilter(params.value, now);
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

export interface EventsPage {
  events: StoredEvent[];
  next: string | null;
  window: Window;
}

/** GET /events, and GET /entities/{type}/{id}/events when `entity` is given: one audited page. */
export async function readEvents(
  deps: ReadDeps,
  request: ReadRequest,
  entity?: EntityRef,
): Promise<Outcome<EventsPage>> {
  const resolved = entity
    ? readerFilter(historyQuerySchema, request, deps.clock(), entity)
    : readerFilter(eventsQuerySchema, request, deps.clock());
  if (!resolved.ok) return resolved;
  const { params } = resolved.value;
  let filter = entity ? { ...resolved.value.filter, entity } : resolved.value.filter;
  let after: { occurredAt: string; id: string } | undefined;
  const user = request.principal.user;
  if (params.cursor !== undefined) {
    const cursor = applyPageCursor(deps.cursors, params.cursor, { filter, order: params.order, user });
    if (!cursor.ok) return { ok: false, parameter: 'cursor', message: cursor.message };
    ({ filter, after } = cursor);
  }
  const page = await deps.store.page(filter, { order: params.order, limit: params.limit, ...(after && { after }) });
  await recordOrRefuse(() => deps.audit.record(accessOf(request, page.events.length, entity)));
  const last = page.events.at(-1);
  return {
    ok: true,
    value: {
      events: page.events,
      next: page.hasMore && last ? encodePageCursor(deps.cursors, { filter, order: params.order, user }, last) : null,
      window: windowOf(filter),
    },
  };
}

/** At most this many buckets per series: a minute interval covers about a day and a half. */
export const MAX_STATS_BUCKETS = 2000;
/** At most this many (bucket, key) rows; more is reported as truncated. */
export const MAX_STATS_ROWS = 20_000;

export interface Stats {
  interval: string;
  groupBy: string;
  window: Window;
  rows: StatsRow[];
  truncated: boolean;
}

/** GET /stats: counts per time bucket and severity, type or entity. */
export async function readStats(deps: ReadDeps, request: ReadRequest): Promise<Outcome<Stats>> {
  const resolved = readerFilter(statsQuerySchema, request, deps.clock());
  if (!resolved.ok) return resolved;
  const { params, filter } = resolved.value;
  const buckets = Math.ceil((filter.until.getTime() - filter.since.getTime()) / INTERVAL_MS[params.interval]);
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
  });
  const truncated = rows.length > MAX_STATS_ROWS;
  const kept = truncated ? rows.slice(0, MAX_STATS_ROWS) : rows;
  const counted = kept.reduce((sum, row) => sum + row.count, 0);
  await recordOrRefuse(() => deps.audit.record(accessOf(request, counted)));
  return {
    ok: true,
    value: { interval: params.interval, groupBy: params.groupBy, window: windowOf(filter), rows: kept, truncated },
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
