import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { FileObjectStore } from '../shared/adapters/files/file-store.ts';
import { runMaintenance } from '../shared/adapters/postgres/maintenance/maintain.ts';
import { ensureMonthPartitions } from '../shared/adapters/postgres/partitions.ts';
import { PgEventStore } from '../shared/adapters/postgres/pg-event-store.ts';
import type { EntityRef } from '../shared/core/domain/entity.ts';
import type { StoredEvent } from '../shared/core/domain/event.ts';
import { addMonths, type Month, monthBounds } from '../shared/core/domain/month.ts';
import { createFleet, createRandom, pick, type Random, storedEvent } from './events.ts';
import { sealStored } from './seal-stored.ts';
import { round } from './stats.ts';

export interface StallMeasurement {
  /** The longest single insert while maintenance created, detached and dropped partitions. */
  max_writer_stall_ms: number;
  /** The median insert over the same period, for scale. */
  median_insert_ms: number;
  inserts: number;
  maintenance_ms: number;
}

/** The entities that log during the measurement. */
const FLEET = createFleet(500);

/**
 * The longest insert stall a writer sees while maintenance runs: a writer inserts small batches into the current month
 * without pause while maintenance premakes months and archives (freeze, export, detach CONCURRENTLY, drop) two expired
 * months of `rowsPerMonth` events, sealed into the log beforehand. Needs an empty, migrated database (`pool` connects as its owner); leaves it with
 * the months it made. The clock is injected (year 2090) so nothing else in the database is near retention.
 */
export async function measureMaintenanceStall(options: {
  pool: pg.Pool;
  rowsPerMonth?: number;
  log?: (message: string) => void;
}): Promise<StallMeasurement> {
  const { pool, rowsPerMonth = 20_000 } = options;
  const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM events');
  if (Number(rows[0]!.n) > 0) throw new Error('measureMaintenanceStall needs an empty events table');
  const now = new Date('2090-06-15T12:00:00Z');
  const store = new PgEventStore(pool);
  const random = createRandom(5);
  const events = (month: Month, from: number, count: number) => monthEvents(random, FLEET, month, from, count);
  const expired = [addMonths({ year: 2090, month: 6 }, -15), addMonths({ year: 2090, month: 6 }, -14)];
  // Months of 2090 are ahead of the real clock: the writer may not create them, maintenance (the owner) may.
  await ensureMonthPartitions(pool, [...expired, { year: 2090, month: 6 }]);
  for (const month of expired)
    for (let i = 0; i < rowsPerMonth; i += 5000) await store.insert(events(month, i, Math.min(5000, rowsPerMonth - i)));
  await store.insert(events({ year: 2090, month: 6 }, 0, 10));
  // Sealed beforehand, as the sealer (every minute) has long sealed expired months: maintenance archives only those.
  await sealStored(pool);

  const dir = await mkdtemp(join(tmpdir(), 'stall-'));
  const latencies: number[] = [];
  let running = true;
  const writer = (async () => {
    for (let batch = 1; running; batch++) {
      const started = performance.now();
      await store.insert(events({ year: 2090, month: 6 }, batch * 10, 10));
      latencies.push(performance.now() - started);
    }
  })();
  try {
    const started = performance.now();
    const result = await runMaintenance(
      { pool, store: new FileObjectStore(join(dir, 'archive')) },
      {
        now,
        retentionMonths: 13,
        premakeMonths: 3,
        workDir: join(dir, 'work'),
        ...(options.log && { log: options.log }),
      },
    );
    if (result.status !== 'done') throw new Error(`maintenance ${result.status}: ${result.error ?? ''}`);
    const maintenanceMs = performance.now() - started;
    running = false;
    await writer;
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      max_writer_stall_ms: round(sorted.at(-1) ?? 0, 1),
      median_insert_ms: round(sorted[Math.floor(sorted.length / 2)] ?? 0, 1),
      inserts: latencies.length,
      maintenance_ms: round(maintenanceMs, 1),
    };
  } finally {
    running = false;
    await writer.catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Events `from` … `from + count - 1` of a month (the bench's mix, events.ts), spread over its first 27 days. */
function monthEvents(
  random: Random,
  fleet: readonly EntityRef[],
  month: Month,
  from: number,
  count: number,
): StoredEvent[] {
  const { start } = monthBounds(month);
  return Array.from({ length: count }, (_, k) =>
    storedEvent(random, pick(random, fleet), start.getTime() + (((from + k) * 7919) % (27 * 86_400_000))),
  );
}
