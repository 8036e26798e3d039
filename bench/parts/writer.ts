import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { createFleet, createRandom } from '../events.ts';
import {
  type IngestMeasurement,
  insertOneByOne,
  MESSAGES_PER_BATCH,
  measureBatches,
  measureCopy,
  prepareTable,
  rebatch,
  writerBatches,
} from '../ingest.ts';
import type { BenchDatabase } from '../server.ts';
import { ratio } from '../stats.ts';
import type { BenchContext, BenchPart } from '../types.ts';

/**
 * Part 1: the writer's insert path (PgEventStore.insert, one statement per SQS batch, as audit_writer) next to COPY
 * and to one INSERT per event, each into a fresh database with the product's migrations, fed identical events.
 */
export const writerPart: BenchPart = async (ctx) => {
  const { options, log } = ctx;
  const random = createRandom(1);
  const batches = writerBatches(random, createFleet(5000), options.writerEvents, options.batchEvents, Date.now());
  const maxMs = options.maxSecondsPerLoop * 1000;
  const shape = `${MESSAGES_PER_BATCH} messages × ${options.batchEvents} events`;

  const copy = await inFreshDatabase(ctx, 'copy', batches, (db) => measureCopy(db, batches));
  log(`writer: COPY ${copy.rowsPerS} rows/s`);
  const writer = await inFreshDatabase(ctx, 'writer', batches, (db) =>
    withWriterStore(db, (store) => measureBatches(batches, maxMs, (batch) => store.insert(batch))),
  );
  log(`writer: PgEventStore.insert (${shape}) ${writer.rowsPerS} rows/s`);
  const small = rebatch(batches, MESSAGES_PER_BATCH);
  const writerSmall = await inFreshDatabase(ctx, 'writer_small', batches, (db) =>
    withWriterStore(db, (store) => measureBatches(small, maxMs, (batch) => store.insert(batch))),
  );
  log(`writer: PgEventStore.insert (10 messages × 1 event) ${writerSmall.rowsPerS} rows/s`);
  const naive = await inFreshDatabase(ctx, 'naive', batches, (db) =>
    measureBatches(batches, maxMs, insertOneByOne(db.pool)),
  );
  log(`writer: one INSERT per event ${naive.rowsPerS} rows/s`);

  return {
    status: 'measured',
    figures: {
      copy_rows_per_s: copy.rowsPerS,
      writer_rows_per_s: writer.rowsPerS,
      writer_small_batch_rows_per_s: writerSmall.rowsPerS,
      naive_rows_per_s: naive.rowsPerS,
      writer_vs_copy: ratio(writer.rowsPerS, copy.rowsPerS),
      writer_small_batch_vs_copy: ratio(writerSmall.rowsPerS, copy.rowsPerS),
      naive_vs_copy: ratio(naive.rowsPerS, copy.rowsPerS),
    },
    notes: [
      `writer batches: ${shape} (PgEventStore.insert: one statement each, the events inserted from unnest … and ` +
        'their ids into event_ids), one connection as ' +
        'audit_writer; small batches: the same events 10 at a time (10 messages × 1 event, what many entities ' +
        'with one event each give); COPY: one stream; naive: one autocommitted INSERT per event',
      'each method gets a fresh database with the product migrations (primary key + 5 indexes), partitions made ' +
        'beforehand, a CHECKPOINT before it starts; timed loops stop after ' +
        `${options.maxSecondsPerLoop} s (rate = rows stored / time)`,
    ],
    details: { copy, writer, writerSmall, naive },
  };
};

async function inFreshDatabase(
  ctx: BenchContext,
  label: string,
  batches: StoredEvent[][],
  measure: (db: BenchDatabase) => Promise<IngestMeasurement>,
): Promise<IngestMeasurement> {
  const db = await ctx.server.createDatabase(label);
  try {
    await prepareTable(db, batches.flat());
    return await measure(db);
  } finally {
    await db.drop();
  }
}

/** The writer Lambda's store: its own pool, sessions narrowed to audit_writer. */
async function withWriterStore<T>(db: BenchDatabase, work: (store: PgEventStore) => Promise<T>): Promise<T> {
  const pool = createPool({ connectionString: db.writerUrl, max: 1 });
  try {
    return await work(new PgEventStore(pool));
  } finally {
    await pool.end();
  }
}
