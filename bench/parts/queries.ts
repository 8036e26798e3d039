import type pg from 'pg';
import type { EntityRef } from '../../shared/domain/entity.ts';
import type { StoredEvent } from '../../shared/domain/event.ts';
import { uuidv7 } from '../../shared/domain/ids.ts';
import { monthBounds, monthOf, monthRange } from '../../shared/domain/month.ts';
import type { EventFilter } from '../../shared/ports/index.ts';
import { encodeCursor } from '../../shared/store/cursor.ts';
import { buildListQuery, type SqlQuery } from '../../shared/store/list-query.ts';
import { ensureMonthPartitions } from '../../shared/store/partitions.ts';
import { PgEventStore } from '../../shared/store/pg-event-store.ts';
import { createPool } from '../../shared/store/pool.ts';
import { copyEvents } from '../copy.ts';
import { createFleet, createRandom, pick, type Random, storedEvent } from '../events.ts';
import type { BenchDatabase } from '../server.ts';
import { type LatencySummary, rate, summarize } from '../stats.ts';
import type { BenchContext, BenchPart } from '../types.ts';

const DAY_MS = 86_400_000;
export const FLEET_SIZE = 5000;
const PAGE = 100;
/** Loads run as this many COPY streams, one per slice of the year, so both cores work. */
const LOAD_STREAMS = 2;

/** Counts per hour by severity: the product has no such query yet (/stats comes with the query-API issue). */
export const HOURLY_COUNTS_SQL = `SELECT date_trunc('hour', occurred_at, 'UTC') AS hour, severity, count(*)::int AS events
FROM events WHERE occurred_at >= $1::timestamptz AND occurred_at < $2::timestamptz
GROUP BY 1, 2 ORDER BY 1, 2`;

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

    const reader = createPool({ connectionString: db.url, role: 'audit_reader', max: 1 });
    try {
      const cases = queryCases(new PgEventStore(reader), reader, fleet, endMs);
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
          'entity_history, critical_24h, range_page (type prefix + 7 days) and next_page (keyset cursor mid-month) run ' +
            'through PgEventStore.list; hourly_counts_30d is plain SQL (/stats comes with the query-API issue)',
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

/** `rows` events spread evenly over the year before `endMs`, in time order per COPY stream (they arrive that way). */
export async function loadYear(db: BenchDatabase, fleet: readonly EntityRef[], rows: number, endMs: number) {
  const startMs = endMs - 365 * DAY_MS;
  await ensureMonthPartitions(db.pool, monthRange(monthOf(new Date(startMs)), monthOf(new Date(endMs))));
  const started = performance.now();
  const perStream = Math.ceil(rows / LOAD_STREAMS);
  const streams = Array.from({ length: LOAD_STREAMS }, async (_, s) => {
    const first = s * perStream;
    const count = Math.max(0, Math.min(perStream, rows - first));
    const client = await db.pool.connect();
    try {
      return await copyEvents(client, eventChunks(createRandom(100 + s), fleet, first, count, rows, startMs, endMs));
    } finally {
      client.release();
    }
  });
  const loaded = (await Promise.all(streams)).reduce((sum, n) => sum + n, 0);
  const ms = performance.now() - started;
  return { rows: loaded, ms: Math.round(ms), rowsPerS: rate(loaded, ms) };
}

function* eventChunks(
  random: Random,
  fleet: readonly EntityRef[],
  first: number,
  count: number,
  total: number,
  startMs: number,
  endMs: number,
): Generator<StoredEvent[]> {
  const stepMs = (endMs - startMs) / total;
  for (let i = 0; i < count; i += 1000) {
    const chunk: StoredEvent[] = [];
    for (let j = i; j < Math.min(count, i + 1000); j++)
      chunk.push(storedEvent(random, pick(random, fleet), Math.floor(startMs + (first + j + random()) * stepMs)));
    yield chunk;
  }
}

function queryCases(store: PgEventStore, reader: pg.Pool, fleet: readonly EntityRef[], endMs: number): QueryCase[] {
  const list = (filter: EventFilter) => ({ sql: buildListQuery(filter), run: () => store.list(filter) });
  // Full months only: the current one is partly filled.
  const months = monthRange(monthOf(new Date(endMs - 365 * DAY_MS)), monthOf(new Date(endMs))).slice(1, -1);
  return [
    { name: 'entity_history', sample: (random) => list({ entity: pick(random, fleet), limit: PAGE }) },
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
        const until = endMs - random() * 3 * DAY_MS;
        const sql = { text: HOURLY_COUNTS_SQL, values: [new Date(until - 30 * DAY_MS), new Date(until)] };
        return { sql, run: () => reader.query(sql.text, sql.values) };
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
