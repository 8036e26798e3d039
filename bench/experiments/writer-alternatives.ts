/**
 * Writer insert shapes that keep the product's guarantees (idempotent ON CONFLICT DO NOTHING on (occurred_at, id),
 * one atomic write per SQS batch, partitions on demand), each on a fresh migrated database with the same events as
 * COPY. Run: npx tsx bench/experiments/writer-alternatives.ts [--events 100000]
 * (synchronous_commit = off is not among them: an audit trail may not lose acknowledged events on a crash.)
 */
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import {
  EVENT_COLUMNS,
  INSERT_EVENTS_SQL,
  insertParameters,
  WRITE_NEW_EVENTS_SQL,
  writeParameters,
} from '../../shared/adapters/postgres/event-rows.ts';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { copyLines } from '../copy.ts';
import { createFleet, createRandom } from '../events.ts';
import {
  type IngestMeasurement,
  measureBatches,
  measureCopy,
  prepareTable,
  rebatch,
  writerBatches,
} from '../ingest.ts';
import { type BenchDatabase, startBenchServer } from '../server.ts';
import { ratio } from '../stats.ts';

type Insert = (pool: pg.Pool) => (batch: readonly StoredEvent[]) => Promise<unknown>;

const productInsert: Insert = (pool) => {
  const store = new PgEventStore(pool);
  return (batch) => store.insert(batch);
};

/** The product's statement for a batch of new ids, prepared once per connection: no parse and plan per batch. */
const preparedInsert: Insert = (pool) => (batch) =>
  pool.query({ name: 'write_new_events', text: WRITE_NEW_EVENTS_SQL, values: writeParameters(batch) });

/** The staging table's columns, typed as the writer's unnest casts them (audit_writer may not read events for LIKE). */
const STAGE_COLUMNS = EVENT_COLUMNS.split(', ')
  .map((name, i) => `${name} ${[...INSERT_EVENTS_SQL.matchAll(/::(\w+)\[\]/g)][i]![1]}`)
  .join(', ');

/** COPY into a session temp table, then one INSERT … SELECT … ON CONFLICT DO NOTHING, in one transaction. */
const stagedCopyInsert: Insert = (pool) => async (batch) => {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`CREATE TEMP TABLE IF NOT EXISTS events_stage (${STAGE_COLUMNS}) ON COMMIT DELETE ROWS`);
    const copy = client.query(copyFrom(`COPY events_stage (${EVENT_COLUMNS}) FROM STDIN`));
    await new Promise<void>((resolve, reject) => {
      copy.on('finish', resolve).on('error', reject);
      copy.end(copyLines(batch));
    });
    await client.query(
      `INSERT INTO events (${EVENT_COLUMNS}) SELECT ${EVENT_COLUMNS} FROM events_stage ON CONFLICT DO NOTHING`,
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
};

/** One JSON parameter instead of 18 arrays. */
const jsonRecordsetInsert: Insert = (pool) => {
  const names = EVENT_COLUMNS.split(', ');
  return (batch) => {
    const columns = insertParameters(batch);
    const rows = batch.map((_, r) =>
      Object.fromEntries(
        names.map((name, c) => {
          const value = columns[c]![r];
          return [name, name === 'related' || name === 'payload' ? JSON.parse(value as string) : value];
        }),
      ),
    );
    return pool.query(
      `INSERT INTO events (${EVENT_COLUMNS}) SELECT ${EVENT_COLUMNS} FROM json_populate_recordset(NULL::events, $1) ` +
        'ON CONFLICT DO NOTHING',
      [JSON.stringify(rows)],
    );
  };
};

async function main() {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '100000' } } });
  const total = Number(values.events);
  const batches = writerBatches(createRandom(1), createFleet(5000), total, 100, Date.now());
  const server = await startBenchServer();
  const results: Record<string, IngestMeasurement> = {};
  const run = async (
    label: string,
    measure: (db: BenchDatabase) => Promise<IngestMeasurement>,
    setup?: (db: BenchDatabase) => Promise<unknown>,
  ) => {
    const db = await server.createDatabase(label);
    try {
      await setup?.(db);
      await prepareTable(db, batches.flat());
      results[label] = await measure(db);
      process.stderr.write(`${label}: ${results[label].rowsPerS} rows/s\n`);
    } finally {
      await db.drop();
    }
  };
  const asWriter =
    (insert: Insert, shaped = batches) =>
    async (db: BenchDatabase) => {
      const pool = createPool({ connectionString: db.writerUrl, max: 1 });
      try {
        return await measureBatches(shaped, 120_000, insert(pool));
      } finally {
        await pool.end();
      }
    };
  const withoutRelatedIndex = (db: BenchDatabase) => db.pool.query('DROP INDEX events_related_idx');
  try {
    await run('copy', (db) => measureCopy(db, batches));
    await run('unnest_10x100', asWriter(productInsert));
    await run('unnest_10x100_prepared', asWriter(preparedInsert));
    await run('unnest_10x500', asWriter(productInsert, rebatch(batches, 5000)));
    await run('staged_copy_10x100', asWriter(stagedCopyInsert));
    await run('json_recordset_10x100', asWriter(jsonRecordsetInsert));
    await run('copy_without_gin', (db) => measureCopy(db, batches), withoutRelatedIndex);
    await run('unnest_10x100_without_gin', asWriter(productInsert), withoutRelatedIndex);
  } finally {
    await server.stop();
  }
  const copy = results['copy']!.rowsPerS;
  const table = Object.entries(results).map(
    ([label, m]) => `| ${label} | ${m.rowsPerS} | ${ratio(m.rowsPerS, copy)} | ${m.rows} |`,
  );
  process.stdout.write(['| method | rows/s | vs COPY | rows |', '|---|---|---|---|', ...table].join('\n') + '\n');
}

await main();
