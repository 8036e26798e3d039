/**
 * Query shapes for the two reads that miss their goal, on a year of events loaded as in part 3:
 * entity history (OR of entity and related in one scan, vs a UNION of two ordered, limited branches) and hourly
 * counts (as is, with expression statistics on the hour, with a larger work_mem).
 * Run: npx tsx bench/experiments/query-alternatives.ts [--rows 500000]
 */
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { EVENT_COLUMNS } from '../../shared/store/event-rows.ts';
import { buildListQuery } from '../../shared/store/list-query.ts';
import { createFleet, createRandom, pick, type Random } from '../events.ts';
import { FLEET_SIZE, HOURLY_COUNTS_SQL, loadYear } from '../parts/queries.ts';
import { startBenchServer } from '../server.ts';
import { summarize } from '../stats.ts';

const DAY_MS = 86_400_000;

/** Each side walks its own index newest first and stops at the limit; UNION drops an event found by both. */
const ENTITY_HISTORY_UNION_SQL = `SELECT ${EVENT_COLUMNS} FROM (
  (SELECT ${EVENT_COLUMNS} FROM events WHERE entity_type = $1 AND entity_id = $2 ORDER BY occurred_at DESC, id DESC LIMIT $4)
  UNION
  (SELECT ${EVENT_COLUMNS} FROM events WHERE related @> $3::jsonb ORDER BY occurred_at DESC, id DESC LIMIT $4)
) page ORDER BY occurred_at DESC, id DESC LIMIT $4`;

async function time(samples: number, run: (random: Random) => Promise<unknown>) {
  const random = createRandom(9);
  for (let i = 0; i < 3; i++) await run(random);
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await run(random);
    ms.push(performance.now() - started);
  }
  return summarize(ms);
}

async function main() {
  const { values } = parseArgs({ options: { rows: { type: 'string', default: '500000' } } });
  const server = await startBenchServer();
  const db = await server.createDatabase('query_experiments');
  try {
    const endMs = Date.now();
    const fleet = createFleet(FLEET_SIZE);
    await loadYear(db, fleet, Number(values.rows), endMs);
    await db.pool.query('VACUUM (ANALYZE) events');
    const client = await db.pool.connect();
    const q = (text: string, params: unknown[]) => client.query(text, params) as Promise<pg.QueryResult>;
    const entityParams = (random: Random) => {
      const entity = pick(random, fleet);
      return [entity.type, entity.id, JSON.stringify([entity]), 101];
    };
    const hourly = (random: Random) => {
      const until = endMs - random() * 3 * DAY_MS;
      return q(HOURLY_COUNTS_SQL, [new Date(until - 30 * DAY_MS), new Date(until)]);
    };
    const results: Record<string, unknown> = {};
    try {
      results['entity_history_or'] = await time(200, (random) => {
        const sql = buildListQuery({ entity: pick(random, fleet), limit: 100 });
        return q(sql.text, sql.values);
      });
      results['entity_history_union'] = await time(200, (random) => q(ENTITY_HISTORY_UNION_SQL, entityParams(random)));
      results['hourly_counts'] = await time(20, hourly);
      await q(`CREATE STATISTICS events_hour_stats ON (date_trunc('hour', occurred_at, 'UTC')) FROM events`, []);
      await q('ANALYZE events', []);
      results['hourly_counts_with_hour_statistics'] = await time(20, hourly);
      await q('DROP STATISTICS events_hour_stats', []);
      await q('ANALYZE events', []);
      await q(`SET work_mem = '32MB'`, []);
      results['hourly_counts_work_mem_32mb'] = await time(20, hourly);
      const plan = await q(`EXPLAIN ${HOURLY_COUNTS_SQL}`, [new Date(endMs - 30 * DAY_MS), new Date(endMs)]);
      results['hourly_counts_work_mem_32mb_plan_top'] = plan.rows[0]?.['QUERY PLAN'];
    } finally {
      client.release();
    }
    process.stdout.write(`${JSON.stringify({ rows: Number(values.rows), ...results }, null, 2)}\n`);
  } finally {
    await db.drop();
    await server.stop();
  }
}

await main();
