import type pg from 'pg';
import type { EntityRef } from '../../shared/domain/entity.ts';
import { uuidv7 } from '../../shared/domain/ids.ts';
import { monthBounds, monthOf, monthRange } from '../../shared/domain/month.ts';
import type { EventFilter } from '../../shared/ports/index.ts';
import { DEFAULT_PAGE_SIZE } from '../../shared/query/instant.ts';
import { resolveFilter } from '../../shared/query/params.ts';
import { MAX_STATS_ROWS } from '../../shared/query/read.ts';
import { encodeCursor } from '../../shared/store/cursor.ts';
import { buildEventPageQuery, buildStatsQuery, type EventQueryFilter } from '../../shared/store/event-query.ts';
import { buildListQuery, type SqlQuery } from '../../shared/store/list-query.ts';
import { PgEventStore } from '../../shared/store/pg-event-store.ts';
import { PgQueryStore } from '../../shared/store/pg-query-store.ts';
import { createPool } from '../../shared/store/pool.ts';
import { createFleet, createRandom, pick, type Random } from '../events.ts';
import { LOAD_STREAMS, loadEvents } from '../load.ts';
import type { BenchDatabase } from '../server.ts';
import { type LatencySummary, summarize } from '../stats.ts';
import type { BenchContext, BenchPart } from '../types.ts';

const DAY_MS = 86_400_000;
export const FLEET_SIZE = 5000;
const PAGE = 100;

interface QueryCase {
  name: string;
  /** One run with fresh random parameters: the SQL (for EXPLAIN) and how the product runs it. */
  sample(random: Random): { sql: SqlQuery; run(): Promise<unknown> };
}

/**
 * Part 3: N events over 12 months for 5,000 entities, loaded with COPY and analyzed, then the latency of the
 * queries users make, through the product's query builder and store where the product has the query.
 */
export const queriesPart: BenchPart = async (ctx) => {
  const { options, log } = ctx;
  const db = await ctx.server.createDatabase('queries');
  try {
    const endMs = Date.now();
    const fleet = createFleet(FLEET_SIZE);
    const load = await loadYear(db, fleet, options.rows, endMs);
    log(`queries: loaded ${load.rows} rows at ${load.rowsPerS} rows/s; VACUUM ANALYZE`);
    await db.pool.query('VACUUM (ANALYZE) events');
    const shape = await describeTable(db.pool);

    const reader = createPool({ connectionString: db.readerUrl, max: 1 });
    try {
      const cases = queryCases(new PgEventStore(reader), new PgQueryStore(reader), fleet, endMs);
      const latencies: Record<string, LatencySummary> = {};
      const random = createRandom(3);
      for (const query of cases) {
        latencies[query.name] = await timeQuery(ctx, query, random);
        log(`queries: ${query.name} p50 ${latencies[query.name]!.p50} ms, p95 ${latencies[query.name]!.p95} ms`);
        ctx.plans.push(await explain(reader, query, random, options.rows));
      }
      const figures: Record<string, number> = { rows: load.rows, load_rows_per_s: load.rowsPerS };
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
          `${load.rows} rows over the 12 months before the run, ${FLEET_SIZE} entities, loaded by ${LOAD_STREAMS} ` +
            'COPY streams, then VACUUM (ANALYZE); latencies are sequential on one audit_reader connection with a warm ' +
            `cache, ${options.samples} runs each at most (${options.maxSecondsPerLoop} s bound), random parameters`,
          'entity_history is what GET /entities/{type}/{id}/events reads (PgQueryStore.page, default 7-day window, ' +
            'newest 100); entity_history_all_time is the newest 100 with no window (PgEventStore.list); critical_24h, ' +
            'range_page (type prefix + 7 days) and next_page (keyset cursor mid-month) run through PgEventStore.list; ' +
            'hourly_counts_30d is GET /stats?since=30d (interval hour, groupBy severity) through PgQueryStore.stats',
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
export function hourlyCountsFilter(untilMs: number): EventQueryFilter {
  return { since: new Date(untilMs - 30 * DAY_MS), until: new Date(untilMs) };
}

export const HOURLY_COUNTS_OPTIONS = { interval: 'hour', groupBy: 'severity', maxRows: MAX_STATS_ROWS } as const;

function queryCases(
  store: PgEventStore,
  queries: PgQueryStore,
  fleet: readonly EntityRef[],
  endMs: number,
): QueryCase[] {
  const list = (filter: EventFilter) => ({ sql: buildListQuery(filter), run: () => store.list(filter) });
  // What GET /entities/{type}/{id}/events reads without parameters: the newest page of the default window.
  const routeWindow = resolveFilter({}, new Date(endMs));
  if (!routeWindow.ok) throw new Error(routeWindow.message);
  const historyPage = { order: 'desc', limit: DEFAULT_PAGE_SIZE } as const;
  // Full months only: the current one is partly filled.
  const months = monthRange(monthOf(new Date(endMs - 365 * DAY_MS)), monthOf(new Date(endMs))).slice(1, -1);
  return [
    {
      name: 'entity_history',
      sample: (random) => {
        const filter = { ...routeWindow.value, entity: pick(random, fleet) };
        return { sql: buildEventPageQuery(filter, historyPage), run: () => queries.page(filter, historyPage) };
      },
    },
    // The same entity's newest 100 with no time window (PgEventStore.list, as `trail` reads it): every partition.
    { name: 'entity_history_all_time', sample: (random) => list({ entity: pick(random, fleet), limit: PAGE }) },
    {
      name: 'critical_24h',
      sample: (random) =>
        list({ severity: ['CRITICAL'], since: new Date(endMs - DAY_MS - random() * 3_600_000), limit: PAGE }),
    },
    {
      name: 'range_page',
      sample: (random) => {
        const since = endMs - 365 * DAY_MS + random() * 350 * DAY_MS;
        const family = pick(random, ['sensor.*', 'robot.*', 'container.*', 'controller.*', 'user.*']);
        return list({ type: family, since: new Date(since), until: new Date(since + 7 * DAY_MS), limit: PAGE });
      },
    },
    {
      name: 'next_page',
      sample: (random) => {
        const { start, end } = monthBounds(pick(random, months));
        const at = start.getTime() + (0.25 + random() / 2) * (end.getTime() - start.getTime());
        const cursor = encodeCursor({ occurredAt: new Date(at).toISOString(), id: uuidv7(at) });
        return list({ cursor, limit: PAGE });
      },
    },
    {
      name: 'hourly_counts_30d',
      sample: (random) => {
        const filter = hourlyCountsFilter(endMs - random() * 3 * DAY_MS);
        return {
          sql: buildStatsQuery(filter, HOURLY_COUNTS_OPTIONS),
          run: () => queries.stats(filter, HOURLY_COUNTS_OPTIONS),
        };
      },
    },
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
  const size = sizes.rows[0]!;
  return {
    heapBytes: Number(size.heap),
    indexBytes: Number(size.indexes),
    totalBytes: Number(size.total),
    severityMix: Object.fromEntries(mix.rows.map((row) => [row.severity, row.events])),
  };
}
