import type { BenchPart, PartResult } from '../types.ts';

/**
 * Parts 4 and 5 measure the partition lifecycle (issue 4). Until it lands they report their figures as null; that
 * issue replaces these with functions of the same type (BenchPart) filling the same figure names.
 */
const pending = (figures: string[]): PartResult => ({
  status: 'pending',
  figures: Object.fromEntries(figures.map((name) => [name, null])),
  notes: ['comes with issue 4 (partition lifecycle)'],
});

/** Rows/s exporting one month to Parquet vs COPY TO CSV of the same partition; bytes per row of each form. */
export const archivePart: BenchPart = async () =>
  pending([
    'archive_rows_per_s',
    'copy_csv_rows_per_s',
    'archive_vs_copy_csv',
    'parquet_bytes_per_row',
    'csv_bytes_per_row',
    'pg_bytes_per_row',
    'parquet_vs_csv_bytes',
  ]);

/** The longest insert stall while partitions are created, detached and dropped under steady ingest. */
export const maintenancePart: BenchPart = async () => pending(['max_writer_stall_ms']);
