import type pg from 'pg';
import { EVENT_COLUMNS, insertParameters } from '../shared/adapters/postgres/event-rows.ts';
import { ensureMonthPartitions } from '../shared/adapters/postgres/partitions.ts';
import type { EntityRef } from '../shared/core/domain/entity.ts';
import type { StoredEvent } from '../shared/core/domain/event.ts';
import { monthOf } from '../shared/core/domain/month.ts';
import { copyEvents } from './copy.ts';
import { pick, type Random, storedEvent } from './events.ts';
import type { BenchDatabase } from './server.ts';
import { rate } from './stats.ts';

/** An SQS FIFO event source hands the writer at most 10 messages. */
export const MESSAGES_PER_BATCH = 10;

/**
 * Writer batches as the queue delivers them: 10 messages, each the events of one entity (packing.ts groups by
 * entity), `eventsPerMessage` each, arriving roughly in time order over the last hour.
 */
export function writerBatches(
  random: Random,
  fleet: readonly EntityRef[],
  total: number,
  eventsPerMessage: number,
  endMs: number,
): StoredEvent[][] {
  const perBatch = MESSAGES_PER_BATCH * eventsPerMessage;
  const count = Math.ceil(total / perBatch);
  const spanMs = 3_600_000 / count;
  const startMs = endMs - 3_600_000;
  return Array.from({ length: count }, (_, b) => {
    const batch: StoredEvent[] = [];
    for (let m = 0; m < MESSAGES_PER_BATCH && b * perBatch + batch.length < total; m++) {
      const entity = pick(random, fleet);
      for (let e = 0; e < eventsPerMessage && b * perBatch + batch.length < total; e++)
        batch.push(storedEvent(random, entity, Math.floor(startMs + (b + random()) * spanMs)));
    }
    return batch;
  });
}

export interface IngestMeasurement {
  rows: number;
  ms: number;
  rowsPerS: number;
  /** False when the time bound stopped the loop before every batch was in. */
  complete: boolean;
}

/** Same starting point for every method: the partitions exist and no checkpoint is owed from the last load. */
export async function prepareTable(db: BenchDatabase, events: readonly StoredEvent[]): Promise<void> {
  await ensureMonthPartitions(
    db.pool,
    events.map((event) => monthOf(new Date(event.occurredAt))),
  );
  await db.pool.query('CHECKPOINT');
}

/** Runs `insert` batch after batch until all are in or `maxMs` has passed. */
export async function measureBatches(
  batches: readonly (readonly StoredEvent[])[],
  maxMs: number,
  insert: (batch: readonly StoredEvent[]) => Promise<unknown>,
): Promise<IngestMeasurement> {
  const started = performance.now();
  let rows = 0;
  let done = 0;
  for (const batch of batches) {
    if (performance.now() - started > maxMs) break;
    await insert(batch);
    rows += batch.length;
    done++;
  }
  const ms = performance.now() - started;
  return { rows, ms: Math.round(ms), rowsPerS: rate(rows, ms), complete: done === batches.length };
}

/** The physical limit of this write path: one COPY stream of every event, into the same partitioned table. */
export async function measureCopy(db: BenchDatabase, batches: readonly StoredEvent[][]): Promise<IngestMeasurement> {
  const client = await db.pool.connect();
  try {
    const started = performance.now();
    const rows = await copyEvents(client, batches);
    const ms = performance.now() - started;
    return { rows, ms: Math.round(ms), rowsPerS: rate(rows, ms), complete: true };
  } finally {
    client.release();
  }
}

const SINGLE_INSERT_SQL = `INSERT INTO events (${EVENT_COLUMNS}) VALUES (${EVENT_COLUMNS.split(', ')
  .map((_, i) => `$${i + 1}`)
  .join(', ')})`;

/** What an ORM-style `log_event()` does: one INSERT, one round trip and one commit per event. */
export function insertOneByOne(pool: pg.Pool): (batch: readonly StoredEvent[]) => Promise<void> {
  return async (batch) => {
    for (const event of batch) {
      await pool.query(
        SINGLE_INSERT_SQL,
        insertParameters([event]).map((column) => column[0]),
      );
    }
  };
}

/** The same events, regrouped into batches of `size` (e.g. 10 messages of one event each). */
export function rebatch(batches: readonly StoredEvent[][], size: number): StoredEvent[][] {
  const all = batches.flat();
  return Array.from({ length: Math.ceil(all.length / size) }, (_, i) => all.slice(i * size, (i + 1) * size));
}
