import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { openDuckDb } from '../archive/duckdb.ts';
import { exportSlice, type RowKey } from '../archive/export.ts';
import { FileObjectStore } from '../archive/file-store.ts';
import type { StoredEvent } from '../domain/event.ts';
import { addMonths, formatMonth, type Month, monthBounds, partitionName } from '../domain/month.ts';
import { ensureMonthPartitions } from '../store/partitions.ts';
import { PgEventStore } from '../store/pg-event-store.ts';
import { DEFAULT_ROWS_PER_FILE, runMaintenance } from './maintain.ts';

export interface StallMeasurement {
  /** The longest single insert while maintenance created, detached and dropped partitions. */
  max_writer_stall_ms: number;
  /** The median insert over the same period, for scale. */
  median_insert_ms: number;
  inserts: number;
  maintenance_ms: number;
}

/**
 * The longest insert stall a writer sees while maintenance runs: a writer inserts small batches into the current month
 * without pause while maintenance premakes months and archives (freeze, export, detach CONCURRENTLY, drop) two expired
 * months of `rowsPerMonth` events. Needs an empty, migrated database (`pool` connects as its owner); leaves it with
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
  const expired = [addMonths({ year: 2090, month: 6 }, -15), addMonths({ year: 2090, month: 6 }, -14)];
  // Months of 2090 are ahead of the real clock: the writer may not create them, maintenance (the owner) may.
  await ensureMonthPartitions(pool, [...expired, { year: 2090, month: 6 }]);
  for (const month of expired)
    for (let i = 0; i < rowsPerMonth; i += 5000)
      await store.insert(benchEvents(month, i, Math.min(5000, rowsPerMonth - i)));
  await store.insert(benchEvents({ year: 2090, month: 6 }, 0, 10));

  const dir = await mkdtemp(join(tmpdir(), 'stall-'));
  const latencies: number[] = [];
  let running = true;
  const writer = (async () => {
    for (let batch = 1; running; batch++) {
      const started = performance.now();
      await store.insert(benchEvents({ year: 2090, month: 6 }, batch * 10, 10));
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
      max_writer_stall_ms: round(sorted.at(-1) ?? 0),
      median_insert_ms: round(sorted[Math.floor(sorted.length / 2)] ?? 0),
      inserts: latencies.length,
      maintenance_ms: round(maintenanceMs),
    };
  } finally {
    running = false;
    await writer.catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

export interface ExportMeasurement {
  rows: number;
  /** Rows per second exported to ZSTD Parquet (PostgreSQL → CSV → DuckDB → Parquet, as the archiver does). */
  rows_per_s: number;
  /** Rows per second of a plain `COPY … TO STDOUT (FORMAT csv)` of the same partition, the baseline. */
  copy_csv_rows_per_s: number;
  parquet_bytes_per_row: number;
  csv_bytes_per_row: number;
  /** The partition's heap, TOAST and indexes per row. */
  pg_bytes_per_row: number;
}

/** Exports one month's partition (which must exist) as the archiver would, without freezing or dropping it. */
export async function measureArchiveExport(options: {
  pool: pg.Pool;
  month: Month;
  rowsPerFile?: number;
}): Promise<ExportMeasurement> {
  const table = partitionName(options.month);
  const dir = await mkdtemp(join(tmpdir(), 'export-'));
  const client = await options.pool.connect();
  const duck = await openDuckDb({ workDir: join(dir, 'work') });
  try {
    const archive = new FileObjectStore(join(dir, 'archive'));
    let rows = 0;
    let parquetBytes = 0;
    let csvBytes = 0;
    let after: RowKey | undefined;
    const started = performance.now();
    for (let n = 0; ; n++) {
      const slice = await exportSlice({
        client,
        duck: duck.connection,
        table,
        after,
        rowsPerFile: options.rowsPerFile ?? DEFAULT_ROWS_PER_FILE,
        workDir: join(dir, 'work'),
        name: `${table}-${n}`,
      });
      if (!slice) break;
      await archive.put(`${formatMonth(options.month)}/${n}.parquet`, { file: slice.file });
      rows += slice.rows;
      parquetBytes += slice.bytes;
      csvBytes += slice.csvBytes;
      after = slice.last;
    }
    const exportS = (performance.now() - started) / 1000;
    if (rows === 0) throw new Error(`${table} has no rows to export`);

    const copyStarted = performance.now();
    await pipeline(
      client.query(copyTo(`COPY ${pg.escapeIdentifier(table)} TO STDOUT (FORMAT csv)`)),
      new Writable({ write: (_chunk, _encoding, done) => done() }),
    );
    const copyS = (performance.now() - copyStarted) / 1000;
    const size = await client.query<{ bytes: string }>('SELECT pg_total_relation_size($1::regclass) AS bytes', [
      `public.${pg.escapeIdentifier(table)}`,
    ]);
    return {
      rows,
      rows_per_s: Math.round(rows / exportS),
      copy_csv_rows_per_s: Math.round(rows / copyS),
      parquet_bytes_per_row: round(parquetBytes / rows),
      csv_bytes_per_row: round(csvBytes / rows),
      pg_bytes_per_row: round(Number(size.rows[0]!.bytes) / rows),
    };
  } finally {
    duck.close();
    client.release();
    await rm(dir, { recursive: true, force: true });
  }
}

const round = (n: number) => Math.round(n * 10) / 10;

/** Plausible events spread over a month, numbered from `from`. */
function benchEvents(month: Month, from: number, count: number): StoredEvent[] {
  const { start } = monthBounds(month);
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const at = new Date(start.getTime() + ((i * 7919) % (27 * 86_400_000)));
    return {
      id: crypto.randomUUID(),
      type: i % 10 === 0 ? 'sensor.threshold.breached' : 'robot.online',
      severity: i % 10 === 0 ? 'WARNING' : 'INFO',
      occurredAt: at.toISOString(),
      receivedAt: at.toISOString(),
      entity: { type: 'robot', id: `r-${i % 500}` },
      related: [],
      actor: { type: 'device', id: `r-${i % 500}` },
      source: { channel: 'iot', principal: `r-${i % 500}` },
      payload: i % 10 === 0 ? { metric: 'temp', value: 9.5, threshold: 8 } : { reason: 'boot' },
    };
  });
}
