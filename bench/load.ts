import { ensureMonthPartitions } from '../shared/adapters/postgres/partitions.ts';
import type { EntityRef } from '../shared/core/domain/entity.ts';
import type { StoredEvent } from '../shared/core/domain/event.ts';
import { monthOf, monthRange } from '../shared/core/domain/month.ts';
import { copyEvents } from './copy.ts';
import { createRandom, pick, type Random, storedEvent } from './events.ts';
import type { BenchDatabase } from './server.ts';
import { rate } from './stats.ts';

/** Loads run as this many COPY streams, one per slice of the time range, so both cores work. */
export const LOAD_STREAMS = 2;
const CHUNK = 1000;

/**
 * `rows` events spread evenly over [startMs, endMs), in time order per COPY stream (they arrive that way), into
 * the month partitions of that range (made first, as the writer would).
 */
export async function loadEvents(
  db: BenchDatabase,
  fleet: readonly EntityRef[],
  rows: number,
  startMs: number,
  endMs: number,
) {
  await ensureMonthPartitions(db.pool, monthRange(monthOf(new Date(startMs)), monthOf(new Date(endMs - 1))));
  const started = performance.now();
  const perStream = Math.ceil(rows / LOAD_STREAMS);
  const streams = Array.from({ length: LOAD_STREAMS }, async (_, s) => {
    const first = s * perStream;
    const count = Math.max(0, Math.min(perStream, rows - first));
    const client = await db.pool.connect();
    try {
      const spread = { first, count, total: rows, startMs, endMs };
      return await copyEvents(client, eventChunks(createRandom(100 + s), fleet, spread));
    } finally {
      client.release();
    }
  });
  const loaded = (await Promise.all(streams)).reduce((sum, n) => sum + n, 0);
  const ms = performance.now() - started;
  return { rows: loaded, ms: Math.round(ms), rowsPerS: rate(loaded, ms) };
}

/** Which slice of `total` evenly spaced events over [startMs, endMs) a stream generates. */
export interface Spread {
  first: number;
  count: number;
  total: number;
  startMs: number;
  endMs: number;
}

/** Events `first` … `first + count - 1` of the spread, ascending in time, in chunks of CHUNK. */
export function* eventChunks(random: Random, fleet: readonly EntityRef[], spread: Spread): Generator<StoredEvent[]> {
  const { first, count, total, startMs, endMs } = spread;
  const stepMs = (endMs - startMs) / total;
  for (let i = 0; i < count; i += CHUNK) {
    const chunk: StoredEvent[] = [];
    for (let j = i; j < Math.min(count, i + CHUNK); j++)
      chunk.push(storedEvent(random, pick(random, fleet), Math.floor(startMs + (first + j + random()) * stepMs)));
    yield chunk;
  }
}
