/**
 * Entity history with no time window, on a year of events loaded as in part 3: OR of entity and related in one scan
 * (the query API's builder, its window the whole loaded year, so every partition), vs a UNION of two ordered, limited
 * branches. (Hourly counts: bench/experiments/hourly-counts.ts.)
 * Run: npx tsx bench/experiments/query-alternatives.ts [--rows 500000]
 */
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { buildEventPageQuery } from '../../shared/adapters/postgres/event-query.ts';
import { EVENT_COLUMNS } from '../../shared/adapters/postgres/event-rows.ts';
import { createFleet, createRandom, pick, type Random } from '../events.ts';
import { FLEET_SIZE, loadYear } from '../parts/queries.ts';
import { startBenchServer } from '../server.ts';
import { summarize } from '../stats.ts';

/** Each side walks its own index newest first and stops at the limit; UNION drops an event found by both. */
const ENTITY_HISTORY_UNION_SQL = `SELECT ${EVENT_COLUMNS} FROM (
  (SELECT ${EVENT_COLUMNS} FROM events WHERE entity_type = $1 AND entity_id = $2 ORDER BY occurred_at DESC, id DESC LIMIT $4)
  UNION
  (SELECT ${EVENT_COLUMNS} FROM events WHERE related @> $3::jsonb ORDER BY occurred_at DESC, id DESC LIMIT $4)
) page ORDER BY occurred_at DESC, id DESC LIMIT $4`;

const DAY_MS = 86_400_000;

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
    // Every loaded row is inside this window: no partition is pruned, as with no window at all.
    const wholeYear = { since: new Date(endMs - 366 * DAY_MS), until: new Date(endMs + DAY_MS) };
    const entityParams = (random: Random) => {
      const entity = pick(random, fleet);
      return [entity.type, entity.id, JSON.stringify([entity]), 101];
    };
    const results: Record<string, unknown> = {};
    try {
      results['entity_history_or'] = await time(200, (random) => {
        const sql = buildEventPageQuery({ ...wholeYear, entity: pick(random, fleet) }, { order: 'desc', limit: 100 });
        return q(sql.text, sql.values);
      });
      results['entity_history_union'] = await time(200, (random) => q(ENTITY_HISTORY_UNION_SQL, entityParams(random)));
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
