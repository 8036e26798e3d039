import type pg from 'pg';
import { rollUpEventCounts } from '../../shared/adapters/postgres/event-counts.ts';
import { buildEventPageQuery, type SqlQuery } from '../../shared/adapters/postgres/event-query.ts';
import { PgQueryStore } from '../../shared/adapters/postgres/pg-query-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { buildRollupStatsQuery } from '../../shared/adapters/postgres/rollup-query.ts';
import type { EntityRef } from '../../shared/core/domain/entity.ts';
import { uuidv7 } from '../../shared/core/domain/ids.ts';
import { monthBounds, monthOf, monthRange } from '../../shared/core/domain/month.ts';
import type { EventQueryFilter, PageRequest } from '../../shared/core/query/filter.ts';
import { DEFAULT_PAGE_SIZE } from '../../shared/core/query/instant.ts';
import { applyPageCursor, encodePageCursor, hmacCursorSigner } from '../../shared/core/query/page-cursor.ts';
import { type FilterParams, resolveFilter } from '../../shared/core/query/params.ts';
import { countOverTime, MAX_STATS_ROWS } from '../../shared/core/query/read.ts';
import { planStats } from '../../shared/core/query/rollups.ts';
import { createFleet, createRandom, pick, type Random } from '../events.ts';
import { LOAD_STREAMS, loadEvents } from '../load.ts';
import { loadEventsInDatabase, TEMPLATE_ROWS } from '../load-in-database.ts';
import type { BenchDatabase } from '../server.ts';
import { type LatencySummary, summarize } from '../stats.ts';
import type { BenchContext, BenchPart } from '../types.ts';

const DAY_MS = 86_400_000;
/** The next_page sample signs and checks its cursor as GET /events does, HMAC included. */
const BENCH_CURSORS = hmacCursorSigner('bench-cursor-secret-0123456789abcdef');
export const FLEET_SIZE = 5000;
/** Entities whose newest event is 11 months old (issue 14's deep first page), and their events. */
const DORMANT_FLEET: readonly EntityRef[] = Array.from({ length: 50 }, (_, i) => ({
  type: 'sensor',
  id: `dormant-${String(i + 1).padStart(3, '0')}`,
}));
const DORMANT_ROWS = 10_000;

interface QueryCase {
  name: string;
  /** One run with fresh random parameters: the SQL (for EXPLAIN) and how the product runs it. */
  sample(random: Random): { sql: SqlQuery; run(): Promise<unknown> };
}

/**
 * Part 3: N events over 12 months for 5,000 entities, loaded with COPY and analyzed, then the latency of the
 * queries users make, as the query API runs them: its parameters resolved to a filter (window included), then its
 * query builder and store.
 */
export const queriesPart: BenchPart = async (ctx) => {
  const { options, log } = ctx;
  const db = await ctx.server.createDatabase('queries');
  try {
    const endMs = Date.now();
    const fleet = createFleet(FLEET_SIZE);
    const load =
      options.load === 'in-database'
        ? await loadEventsInDatabase(db, fleet, options.rows, endMs - 365 * DAY_MS, endMs, log)
        : await loadYear(db, fleet, options.rows, endMs);
    // Entities that went quiet: all their events 11–12 months old, so a first page must pass 11 newer months.
    const dormant = await loadEvents(db, DORMANT_FLEET, DORMANT_ROWS, endMs - 365 * DAY_MS, endMs - 335 * DAY_MS);
    log(
      `queries: loaded ${load.rows} rows (${options.load}) at ${load.rowsPerS} rows/s, and ${dormant.rows} of ` +
        `${DORMANT_FLEET.length} dormant entities; rolling up the counts`,
    );
    const rollUpStarted = performance.now();
    const rolledUp = await rollUpEventCounts(db.pool);
    const rollUpMs = Math.round(performance.now() - rollUpStarted);
    log(`queries: rolled up ${rolledUp} delta rows in ${rollUpMs} ms; VACUUM ANALYZE`);
    await db.pool.query('VACUUM (ANALYZE) events, event_counts, event_counts_by_actor, event_count_deltas');
    const shape = await describeTable(db.pool);

    const reader = createPool({ connectionString: db.readerUrl, max: 1 });
    try {
      const cases = queryCases(new PgQueryStore(reader), fleet, endMs);
      const latencies: Record<string, LatencySummary> = {};
      const random = createRandom(3);
      for (const query of cases) {
        latencies[query.name] = await timeQuery(ctx, query, random);
        log(`queries: ${query.name} p50 ${latencies[query.name]!.p50} ms, p95 ${latencies[query.name]!.p95} ms`);
        ctx.plans.push(await explain(reader, query, random, options.rows));
      }
      const figures: Record<string, number> = {
        rows: load.rows,
        load_rows_per_s: load.rowsPerS,
        rollup_delta_rows: rolledUp,
        rollup_ms: rollUpMs,
        rollup_bytes: shape.rollupBytes,
      };
      figures['bytes_per_row'] = Math.round(shape.totalBytes / load.rows);
      for (const [name, summary] of Object.entries(latencies)) {
        figures[`${name}_p50_ms`] = summary.p50;
        figures[`${name}_p95_ms`] = summary.p95;
        figures[`${name}_p99_ms`] = summary.p99;
      }
      return {
        status: 'measured',
        figures,
        notes: [
          `${load.rows} rows over the 12 months before the run, ${FLEET_SIZE} entities, loaded ` +
            (options.load === 'in-database'
              ? `as ${TEMPLATE_ROWS} rows copied in and multiplied, shifted in time, by INSERT … SELECT on ${LOAD_STREAMS} connections`
              : `by ${LOAD_STREAMS} COPY streams`) +
            ', then VACUUM (ANALYZE); latencies are sequential on one audit_reader connection with a warm ' +
            `cache, ${options.samples} runs each at most (${options.maxSecondsPerLoop} s bound), random parameters`,
          'every case is a query API read through PgQueryStore, its window resolved as the route resolves it: ' +
            'entity_history is GET /entities/{type}/{id}/events without parameters (the whole past, newest 100, its ' +
            'own events and those naming it in related); entity_history_93d the same with since=93d; critical_24h ' +
            'is GET /events?severity=CRITICAL&since=24h; range_page a type prefix over 7 days; next_page a keyset ' +
            "cursor mid-month in that month's window; hourly_counts_30d is GET /stats?since=30d (interval hour, " +
            'groupBy severity) and daily_counts_12m GET /stats?since=365d&interval=day, each planned and counted as ' +
            'the route does (countOverTime: coverage, then the rollups with raw rows at the edges); the COPY load ' +
            'fires the rollup trigger, and rollup_ms is one roll-up of all its deltas',
        ],
        details: { latencies, severityMix: shape.severityMix, tableBytes: shape, load },
      };
    } finally {
      await reader.end();
    }
  } finally {
    await db.drop();
  }
};

/** `rows` events over the year before `endMs`. */
export function loadYear(db: BenchDatabase, fleet: readonly EntityRef[], rows: number, endMs: number) {
  return loadEvents(db, fleet, rows, endMs - 365 * DAY_MS, endMs);
}

/** The window GET /stats reads for `?since=30d&interval=hour&groupBy=severity` ending at `untilMs`. */
export function hourlyCountsFilter(untilMs: number, days = 30): EventQueryFilter {
  return { since: new Date(untilMs - days * DAY_MS), until: new Date(untilMs) };
}

export const HOURLY_COUNTS_OPTIONS = { interval: 'hour', groupBy: 'severity', maxRows: MAX_STATS_ROWS } as const;
const DAILY_COUNTS_OPTIONS = { interval: 'day', groupBy: 'severity', maxRows: MAX_STATS_ROWS } as const;
/** What a freshly loaded bench database holds: nothing archived, rollups complete from the first event. */
const LOADED_COVERAGE = { archivedMonths: [], completeFrom: null };

/** GET /stats over `days` before a random instant of the last three days, as the route plans and counts it. */
function statsCase(
  queries: PgQueryStore,
  endMs: number,
  days: number,
  options: typeof HOURLY_COUNTS_OPTIONS | typeof DAILY_COUNTS_OPTIONS,
) {
  return (random: Random) => {
    const filter = hourlyCountsFilter(endMs - random() * 3 * DAY_MS, days);
    const plan = planStats(filter, options, LOADED_COVERAGE);
    return {
      sql: buildRollupStatsQuery(filter, plan, options)!,
      run: () => countOverTime(queries, filter, options),
    };
  };
}

function queryCases(queries: PgQueryStore, fleet: readonly EntityRef[], endMs: number): QueryCase[] {
  const now = new Date(endMs);
  /** The filter the query API reads for these parameters: the route's own resolution of the window. */
  const routeFilter = (params: FilterParams, capped = true): EventQueryFilter => {
    const resolved = resolveFilter(params, now, { capped });
    if (!resolved.ok) throw new Error(`${resolved.parameter}: ${resolved.message}`);
    return resolved.value;
  };
  /** A route's page without order, limit or cursor parameters: the newest DEFAULT_PAGE_SIZE. */
  const newest: PageRequest = { order: 'desc', limit: DEFAULT_PAGE_SIZE };
  const page = (filter: EventQueryFilter, request: PageRequest = newest) => ({
    sql: buildEventPageQuery(filter, request),
    run: () => queries.page(filter, request),
  });
  const iso = (ms: number) => new Date(ms).toISOString();
  /** The entity's page after a row at `atMs`, as the route reads it from its signed cursor (no window cap). */
  const entityPageAfter = (entity: EntityRef, atMs: number) =>
    page({ ...routeFilter({}, false), entity }, { ...newest, after: { occurredAt: iso(atMs), id: uuidv7(atMs) } });
  // Full months only: the current one is partly filled.
  const months = monthRange(monthOf(new Date(endMs - 365 * DAY_MS)), monthOf(new Date(endMs))).slice(1, -1);
  return [
    // What GET /entities/{type}/{id}/events reads without parameters: the newest page of the whole past (no cap).
    { name: 'entity_history', sample: (random) => page({ ...routeFilter({}, false), entity: pick(random, fleet) }) },
    // Its next page: the cursor at a random instant of the year (the walk's `after`, a deep page).
    {
      name: 'entity_history_next',
      sample: (random) => entityPageAfter(pick(random, fleet), endMs - random() * 360 * DAY_MS),
    },
    // An entity whose newest event is 11 months old: the first page passes 11 newer months' indexes first.
    {
      name: 'entity_history_dormant',
      sample: (random) => page({ ...routeFilter({}, false), entity: pick(random, DORMANT_FLEET) }),
    },
    {
      name: 'entity_history_dormant_next',
      sample: (random) => entityPageAfter(pick(random, DORMANT_FLEET), endMs - (335 + random() * 30) * DAY_MS),
    },
    // The same route with the widest window a request may read.
    {
      name: 'entity_history_93d',
      sample: (random) => page({ ...routeFilter({ since: '93d' }), entity: pick(random, fleet) }),
    },
    {
      name: 'critical_24h',
      sample: (random) =>
        page(routeFilter({ severity: 'CRITICAL', since: iso(endMs - DAY_MS - random() * 3_600_000) })),
    },
    {
      name: 'range_page',
      sample: (random) => {
        const since = endMs - 365 * DAY_MS + random() * 350 * DAY_MS;
        const type = pick(random, ['sensor.*', 'robot.*', 'container.*', 'controller.*', 'user.*']);
        return page(routeFilter({ type, since: iso(since), until: iso(since + 7 * DAY_MS) }));
      },
    },
    {
      // The page after one that ended mid-month, in a month's window: its `next` applied as GET /events applies it.
      name: 'next_page',
      sample: (random) => {
        const { start, end } = monthBounds(pick(random, months));
        const filter = routeFilter({ since: start.toISOString(), until: end.toISOString() });
        const at = start.getTime() + (0.25 + random() / 2) * (end.getTime() - start.getTime());
        const scope = { filter, order: 'desc', user: 'bench' } as const;
        const next = encodePageCursor(BENCH_CURSORS, scope, {
          phase: 'postgres',
          after: { occurredAt: iso(at), id: uuidv7(at) },
        });
        const cursor = applyPageCursor(BENCH_CURSORS, next, scope);
        if (!cursor.ok) throw new Error(cursor.message);
        if (cursor.state.phase !== 'postgres' || !cursor.state.after) throw new Error('not a PostgreSQL cursor');
        return page(cursor.filter, { ...newest, after: cursor.state.after });
      },
    },
    { name: 'hourly_counts_30d', sample: statsCase(queries, endMs, 30, HOURLY_COUNTS_OPTIONS) },
    { name: 'daily_counts_12m', sample: statsCase(queries, endMs, 365, DAILY_COUNTS_OPTIONS) },
  ];
}

const WARM_UP_RUNS = 3;

async function timeQuery(ctx: BenchContext, query: QueryCase, random: Random): Promise<LatencySummary> {
  for (let i = 0; i < WARM_UP_RUNS; i++) await query.sample(random).run();
  const samples: number[] = [];
  const deadline = performance.now() + ctx.options.maxSecondsPerLoop * 1000;
  while (samples.length < ctx.options.samples && performance.now() < deadline) {
    const { run } = query.sample(random);
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return summarize(samples);
}

async function explain(reader: pg.Pool, query: QueryCase, random: Random, rows: number): Promise<string> {
  const { sql } = query.sample(random);
  const { rows: plan } = await reader.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN (ANALYZE, BUFFERS) ${sql.text}`,
    sql.values,
  );
  return [
    `== ${query.name} (${rows} rows)`,
    sql.text,
    `-- parameters: ${JSON.stringify(sql.values)}`,
    ...plan.map((line) => line['QUERY PLAN']),
  ].join('\n');
}

async function describeTable(pool: pg.Pool) {
  const sizes = await pool.query<{ heap: string; indexes: string; total: string }>(
    `SELECT sum(pg_table_size(inhrelid))::bigint AS heap, sum(pg_indexes_size(inhrelid))::bigint AS indexes,
            sum(pg_total_relation_size(inhrelid))::bigint AS total
     FROM pg_inherits WHERE inhparent = 'events'::regclass`,
  );
  const mix = await pool.query<{ severity: string; events: number }>(
    'SELECT severity, count(*)::int AS events FROM events GROUP BY 1 ORDER BY min(severity_number)',
  );
  const rollups = await pool.query<{ bytes: string }>(
    `SELECT (pg_total_relation_size('event_counts') + pg_total_relation_size('event_counts_by_actor')
             + pg_total_relation_size('event_count_deltas'))::bigint AS bytes`,
  );
  const size = sizes.rows[0]!;
  return {
    rollupBytes: Number(rollups.rows[0]!.bytes),
    heapBytes: Number(size.heap),
    indexBytes: Number(size.indexes),
    totalBytes: Number(size.total),
    severityMix: Object.fromEntries(mix.rows.map((row) => [row.severity, row.events])),
  };
}
