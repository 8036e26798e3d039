/**
 * Hourly counts by severity over 30 days (GET /stats?since=30d) miss their goal at 2M rows: the planner cannot
 * estimate how many (date_bin, severity) groups there are, guesses one per row, so it sorts instead of hashing, and
 * the sort of ~160k rows spills at the default work_mem of 4 MB. What the product can change, on a year of events
 * loaded as in part 3, read as audit_reader (enable_sort=off is not on the list: it is not something to ship):
 * - as is: the builder's SQL through PgQueryStore's pool;
 * - SET LOCAL work_mem inside the stats query's transaction (the planner then hashes, and nothing spills);
 * - the same GROUP BY on a subquery of (date_bin, severity);
 * - grouping by severity_number (a smallint) and naming the severity after aggregating;
 * - expression statistics on the hour bucket, so the planner knows there are few groups.
 * Run: npx tsx bench/experiments/hourly-counts.ts [--rows 2000000] [--samples 20]
 */
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { buildStatsQuery } from '../../shared/adapters/postgres/event-query.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { createFleet, createRandom, type Random } from '../events.ts';
import { FLEET_SIZE, HOURLY_COUNTS_OPTIONS, hourlyCountsFilter, loadYear } from '../parts/queries.ts';
import { startBenchServer } from '../server.ts';
import { summarize } from '../stats.ts';

const DAY_MS = 86_400_000;
/** The builder's parameters, in its order: $1 interval, $2 since, $3 until, $4 row limit. */
const WHERE = 'occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz';
const BUCKET = "date_bin($1::interval, occurred_at, TIMESTAMPTZ '2000-01-01 00:00:00+00')";
const SUBQUERY_SQL = `SELECT bucket, key, count(*)::int AS count
FROM (SELECT ${BUCKET} AS bucket, severity AS key FROM events WHERE ${WHERE}) AS e
GROUP BY 1, 2 ORDER BY 1, 2 LIMIT $4`;
const SEVERITY_NUMBER_SQL = `SELECT bucket,
  CASE severity_number WHEN 9 THEN 'INFO' WHEN 13 THEN 'WARNING' WHEN 17 THEN 'ERROR' ELSE 'CRITICAL' END AS key, count
FROM (SELECT ${BUCKET} AS bucket, severity_number, count(*)::int AS count FROM events WHERE ${WHERE}
      GROUP BY 1, 2 ORDER BY 1, 2 LIMIT $4) AS counts`;
const HOUR_STATISTICS = `CREATE STATISTICS events_hour_bin_stats ON
  (date_bin('1 hour'::interval, occurred_at, TIMESTAMPTZ '2000-01-01 00:00:00+00')), severity FROM events`;

type Run = (client: pg.PoolClient, text: string, values: unknown[]) => Promise<unknown>;
const plain: Run = (client, text, values) => client.query(text, values);
/** What PgQueryStore.stats would do: one transaction, SET LOCAL, the query; three round trips instead of one. */
const withWorkMem =
  (workMem: string): Run =>
  async (client, text, values) => {
    await client.query('BEGIN');
    try {
      await client.query(`SET LOCAL work_mem = '${workMem}'`);
      return await client.query(text, values);
    } finally {
      await client.query('COMMIT');
    }
  };

interface Variant {
  name: string;
  sql?: string;
  run?: Run;
  setup?: string[];
  teardown?: string[];
}

const VARIANTS: Variant[] = [
  { name: 'builder_as_is' },
  { name: 'builder_set_local_work_mem_16mb', run: withWorkMem('16MB') },
  { name: 'builder_set_local_work_mem_64mb', run: withWorkMem('64MB') },
  { name: 'group_by_on_subquery', sql: SUBQUERY_SQL },
  { name: 'group_by_severity_number', sql: SEVERITY_NUMBER_SQL },
  { name: 'severity_number_set_local_work_mem_16mb', sql: SEVERITY_NUMBER_SQL, run: withWorkMem('16MB') },
  {
    name: 'builder_with_hour_statistics',
    setup: [HOUR_STATISTICS, 'ANALYZE events'],
    teardown: ['DROP STATISTICS events_hour_bin_stats', 'ANALYZE events'],
  },
];

async function main() {
  const { values } = parseArgs({
    options: { rows: { type: 'string', default: '2000000' }, samples: { type: 'string', default: '20' } },
  });
  const rows = Number(values.rows);
  const samples = Number(values.samples);
  const server = await startBenchServer();
  const db = await server.createDatabase('hourly_counts');
  const reader = createPool({ connectionString: db.readerUrl, max: 1 });
  try {
    const endMs = Date.now();
    await loadYear(db, createFleet(FLEET_SIZE), rows, endMs);
    await db.pool.query('VACUUM (ANALYZE) events');
    const query = (random: Random) =>
      buildStatsQuery(hourlyCountsFilter(endMs - random() * 3 * DAY_MS), HOURLY_COUNTS_OPTIONS);
    const results: Record<string, unknown> = { rows, samples };
    for (const variant of VARIANTS) {
      for (const sql of variant.setup ?? []) await db.pool.query(sql);
      const client = await reader.connect();
      try {
        const run = variant.run ?? plain;
        const random = createRandom(9);
        const ms: number[] = [];
        for (let i = 0; i < samples + 3; i++) {
          const { text, values: params } = query(random);
          const started = performance.now();
          await run(client, variant.sql ?? text, params);
          // The first three warm the cache and the connection.
          if (i >= 3) ms.push(performance.now() - started);
        }
        const { text, values: params } = query(random);
        const plan = await explain(client, variant, variant.sql ?? text, params);
        results[variant.name] = { ...summarize(ms), plan };
      } finally {
        client.release();
      }
      for (const sql of variant.teardown ?? []) await db.pool.query(sql);
      process.stderr.write(`${variant.name}: ${JSON.stringify(results[variant.name])}\n`);
    }
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } finally {
    await reader.end();
    await db.drop();
    await server.stop();
  }
}

/** The plan's aggregate and sort nodes, with how the sort ran (in memory or on disk), and the execution time. */
async function explain(client: pg.PoolClient, variant: Variant, text: string, values: unknown[]): Promise<string[]> {
  const explainRun = variant.run ?? plain;
  const result = (await explainRun(client, `EXPLAIN (ANALYZE, BUFFERS) ${text}`, values)) as pg.QueryResult;
  return result.rows
    .map((row) => String(row['QUERY PLAN']).trim())
    .filter((line) => /Aggregate|Sort|Execution Time|temp /.test(line))
    .map((line) => line.replace(/\(cost=[^)]*\) /, ''));
}

await main();
