import { EVENT_COLUMNS } from '../shared/adapters/postgres/event-rows.ts';
import { ensureMonthPartitions } from '../shared/adapters/postgres/partitions.ts';
import type { EntityRef } from '../shared/core/domain/entity.ts';
import { monthOf, monthRange } from '../shared/core/domain/month.ts';
import { copyEvents } from './copy.ts';
import { createRandom } from './events.ts';
import { eventChunks, LOAD_STREAMS } from './load.ts';
import type { BenchDatabase } from './server.ts';
import { rate } from './stats.ts';

/** Rows generated in Node and copied in once; every other row is made from them inside PostgreSQL. */
export const TEMPLATE_ROWS = 1_000_000;

/**
 * How `rows` evenly spread events over [startMs, endMs) are made from a template: the template holds the first
 * `templateRows` of them (a window of `windowMs`), and copy k is the template shifted by k × windowMs.
 */
export function templatePlan(rows: number, startMs: number, endMs: number, templateRows = TEMPLATE_ROWS) {
  const template = Math.min(rows, templateRows);
  const windowMs = Math.floor(((endMs - startMs) * template) / rows);
  const copies = Math.ceil(rows / template);
  // The last copy may be cut so the total is exactly `rows`.
  const lastRows = rows - (copies - 1) * template;
  return { template, windowMs, copies, lastRows };
}

/**
 * The SQL of copy `k`: the template's rows shifted in time, each id rebuilt as a UUIDv7 of its new instant (its
 * first 48 bits), the rest of the id kept, so ids stay unique and time-ordered as the writer's are.
 */
export const COPY_SHIFTED_SQL = `INSERT INTO events (${EVENT_COLUMNS})
  SELECT (lpad(to_hex((extract(epoch FROM occurred_at) * 1000)::bigint + $1::bigint), 12, '0')
            || substr(replace(id::text, '-', ''), 13))::uuid,
         ${EVENT_COLUMNS.split(', ')
           .slice(1)
           .map((column) =>
             column === 'occurred_at' || column === 'received_at'
               ? `${column} + make_interval(secs => $1::bigint / 1000.0)`
               : column,
           )
           .join(', ')}
  FROM bench_template ORDER BY occurred_at LIMIT $2`;

/**
 * The same spread of events `loadEvents` makes, for loads too large to stream from Node in minutes (100M rows):
 * TEMPLATE_ROWS are generated and copied in, the rest is INSERT … SELECT from them inside PostgreSQL, shifted in
 * time, on LOAD_STREAMS connections. Each entity's events repeat every window, which the queries do not notice.
 */
export async function loadEventsInDatabase(
  db: BenchDatabase,
  fleet: readonly EntityRef[],
  rows: number,
  startMs: number,
  endMs: number,
  log: (message: string) => void = () => undefined,
  templateRows = TEMPLATE_ROWS,
) {
  await ensureMonthPartitions(db.pool, monthRange(monthOf(new Date(startMs)), monthOf(new Date(endMs - 1))));
  const plan = templatePlan(rows, startMs, endMs, templateRows);
  const started = performance.now();
  await db.pool.query('CREATE UNLOGGED TABLE bench_template (LIKE events)');
  try {
    const client = await db.pool.connect();
    try {
      const spread = { first: 0, count: plan.template, total: rows, startMs, endMs };
      await copyEvents(client, eventChunks(createRandom(100), fleet, spread), 'bench_template');
    } finally {
      client.release();
    }
    let next = 0;
    let loaded = 0;
    const streams = Array.from({ length: LOAD_STREAMS }, async () => {
      for (let k = next++; k < plan.copies; k = next++) {
        const limit = k === plan.copies - 1 ? plan.lastRows : plan.template;
        const result = await db.pool.query(COPY_SHIFTED_SQL, [k * plan.windowMs, limit]);
        loaded += result.rowCount ?? 0;
        log(`load: ${loaded} of ${rows} rows (${rate(loaded, performance.now() - started)} rows/s)`);
      }
    });
    await Promise.all(streams);
    const ms = performance.now() - started;
    return { rows: loaded, ms: Math.round(ms), rowsPerS: rate(loaded, ms), plan };
  } finally {
    await db.pool.query('DROP TABLE bench_template');
  }
}
