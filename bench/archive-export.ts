import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { openDuckDb } from '../shared/adapters/duckdb/duckdb.ts';
import { exportFrom, exportSlice, pgRowText, type RowKey } from '../shared/adapters/duckdb/export.ts';
import { FileObjectStore } from '../shared/adapters/files/file-store.ts';
import { DEFAULT_ROWS_PER_FILE } from '../shared/adapters/postgres/maintenance/maintain.ts';
import { formatMonth, type Month, partitionName } from '../shared/core/domain/month.ts';
import { round } from './stats.ts';

export interface ExportMeasurement {
  rows: number;
  /** Rows per second exported to ZSTD Parquet (PostgreSQL → CSV → DuckDB → Parquet, as the archiver does). */
  rows_per_s: number;
  /** Rows per second of a plain `COPY … TO STDOUT (FORMAT csv)` of the same partition, the baseline. */
  copy_csv_rows_per_s: number;
  parquet_bytes_per_row: number;
  /** The CSV the export streams out of PostgreSQL (its select list), per row. */
  csv_bytes_per_row: number;
  /** The partition's heap, TOAST and indexes per row. */
  pg_bytes_per_row: number;
}

/**
 * Exports one month's partition (which must exist, its events sealed) as the archiver would, without freezing or
 * dropping it.
 */
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
    const csvBytes = await exportCsvBytes(client, table);
    const size = await client.query<{ bytes: string }>('SELECT pg_total_relation_size($1::regclass) AS bytes', [
      `public.${pg.escapeIdentifier(table)}`,
    ]);
    return {
      rows,
      rows_per_s: Math.round(rows / exportS),
      copy_csv_rows_per_s: Math.round(rows / copyS),
      parquet_bytes_per_row: round(parquetBytes / rows, 1),
      csv_bytes_per_row: round(csvBytes / rows, 1),
      pg_bytes_per_row: round(Number(size.rows[0]!.bytes) / rows, 1),
    };
  } finally {
    duck.close();
    client.release();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The size of the CSV the export streams out of PostgreSQL for the whole partition: its select list (pgRowText), one
 * untimed COPY. The slices' CSV files add up to the same bytes, whatever their boundaries.
 */
async function exportCsvBytes(client: pg.ClientBase, table: string): Promise<number> {
  let bytes = 0;
  await pipeline(
    client.query(
      copyTo(`COPY (SELECT ${pgRowText} FROM ${exportFrom(pg.escapeIdentifier(table))}) TO STDOUT (FORMAT csv)`),
    ),
    new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        bytes += chunk.length;
        done();
      },
    }),
  );
  return bytes;
}
