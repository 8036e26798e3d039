import { addMonths, monthBounds, monthOf, partitionName } from '../../shared/core/domain/month.ts';
import { measureArchiveExport } from '../archive-export.ts';
import { createFleet } from '../events.ts';
import { LOAD_STREAMS, loadEvents } from '../load.ts';
import { measureMaintenanceStall } from '../maintenance-stall.ts';
import { sealStored } from '../seal-stored.ts';
import { ratio, round } from '../stats.ts';
import type { BenchPart } from '../types.ts';
import { FLEET_SIZE } from './queries.ts';

/**
 * Part 4: one month of events (the part 3 mix) loaded with COPY into its partition, then exported as the archiver
 * exports it (PostgreSQL → CSV slices → DuckDB → ZSTD Parquet) and, for the baseline, with a plain COPY TO CSV.
 */
export const archivePart: BenchPart = async (ctx) => {
  const db = await ctx.server.createDatabase('archive');
  try {
    // A whole month in the past: the kind the archiver exports once it falls out of retention.
    const month = addMonths(monthOf(new Date()), -2);
    const { start, end } = monthBounds(month);
    const load = await loadEvents(db, createFleet(FLEET_SIZE), ctx.options.archiveRows, start.getTime(), end.getTime());
    // Only sealed months are archived (their rows carry log_seq and leaf_hash): sealed first, untimed.
    const sealed = await sealStored(db.pool);
    ctx.log(`archive: sealed ${sealed.rows} rows in ${sealed.rounds} rounds`);
    // VACUUM first, as the archiver's freeze does: neither read then pays for setting hint bits on fresh rows.
    await db.pool.query(`VACUUM (ANALYZE) ${partitionName(month)}, event_log`);
    ctx.log(`archive: loaded ${load.rows} rows into ${partitionName(month)}; exporting`);
    const measured = await measureArchiveExport({ pool: db.pool, month });
    return {
      status: 'measured',
      figures: {
        archive_rows: measured.rows,
        archive_rows_per_s: measured.rows_per_s,
        copy_csv_rows_per_s: measured.copy_csv_rows_per_s,
        archive_vs_copy_csv: ratio(measured.rows_per_s, measured.copy_csv_rows_per_s),
        parquet_bytes_per_row: measured.parquet_bytes_per_row,
        csv_bytes_per_row: measured.csv_bytes_per_row,
        pg_bytes_per_row: measured.pg_bytes_per_row,
        parquet_vs_csv_bytes: ratio(measured.parquet_bytes_per_row, measured.csv_bytes_per_row, 3),
        parquet_vs_pg_bytes: ratio(measured.parquet_bytes_per_row, measured.pg_bytes_per_row, 3),
      },
      notes: [
        `${measured.rows} rows of ${partitionName(month)} (part 3's event mix), loaded by ${LOAD_STREAMS} COPY streams, ` +
          'sealed into the log (untimed), then VACUUM (ANALYZE); export (each row joined to its event_log leaf) as the archiver does it (measureArchiveExport), then COPY TO STDOUT (FORMAT csv) ' +
          'of the same partition into a sink; pg bytes are heap, TOAST and indexes',
        'the export starts with a COPY TO CSV of each slice, so it cannot be faster than COPY TO CSV as designed: ' +
          'archive_vs_copy_csv is the price of DuckDB and ZSTD Parquet on top',
      ],
      details: { load, sealed: { rows: sealed.rows, rounds: sealed.rounds }, measured },
    };
  } finally {
    await db.drop();
  }
};

/**
 * Part 5: the longest insert of a writer inserting batches of 10 without pause while maintenance premakes months and
 * archives (freeze, export, detach CONCURRENTLY, drop) two expired months, on a fresh database.
 */
export const maintenancePart: BenchPart = async (ctx) => {
  const db = await ctx.server.createDatabase('maintenance');
  try {
    const rowsPerMonth = ctx.options.maintenanceRowsPerMonth;
    const measured = await measureMaintenanceStall({
      pool: db.pool,
      rowsPerMonth,
      log: (message) => ctx.log(`maintenance: ${message}`),
    });
    return {
      status: 'measured',
      figures: {
        max_writer_stall_ms: measured.max_writer_stall_ms,
        median_insert_ms: measured.median_insert_ms,
        maintenance_inserts: measured.inserts,
        maintenance_s: round(measured.maintenance_ms / 1000, 1),
      },
      notes: [
        `measureMaintenanceStall: two expired months of ${rowsPerMonth} rows archived and dropped (maintenance_s) ` +
          'while one owner connection inserts batches of 10 into the current month; max and median of those inserts',
      ],
      details: { measured },
    };
  } finally {
    await db.drop();
  }
};
