import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { ARCHIVE_COLUMNS, DUCKDB_TYPES } from '../../core/archive/schema.ts';
import { duckLiteral } from './duckdb.ts';

/** The (occurred_at, id) key of a row: where an export slice ends and the next one starts. */
export interface RowKey {
  occurredAt: string;
  id: string;
}

export interface ParquetSlice {
  /** The Parquet file written under workDir. */
  file: string;
  rows: number;
  bytes: number;
  sha256: string;
  last: RowKey;
}

const FIRST_KEY: RowKey = { occurredAt: '-infinity', id: '00000000-0000-0000-0000-000000000000' };

/**
 * Where each archive column comes from: the events row `e`, or its leaf in the log, event_log `l`. The export and the
 * verification read `FROM <partition> e JOIN event_log l ON l.event_id = e.id` (EXPORT_FROM).
 */
const LOG_COLUMNS: Readonly<Record<string, string>> = {
  log_seq: 'l.seq::text',
  leaf_hash: "encode(l.leaf_hash, 'hex')",
};

/** PostgreSQL's text for each archive column: timestamps as epoch microseconds (unambiguous whatever the TimeZone). */
const pgSelectList = ARCHIVE_COLUMNS.map(({ name, glueType }) => {
  const logged = LOG_COLUMNS[name];
  if (logged) return logged;
  const column = `e.${pg.escapeIdentifier(name)}`;
  return glueType === 'timestamp' ? `(extract(epoch FROM ${column}) * 1000000)::bigint` : `${column}::text`;
}).join(', ');

/**
 * The rows of a partition with their leaves, in the partition's key order. An inner join: a row the log has not sealed
 * is never exported, and the export's count then falls short of the partition's, which the manifest step refuses. A
 * lateral subquery the planner cannot flatten (OFFSET 0): one index lookup per row, so a slice never scans the whole
 * log (a hash join would, once per slice, as the log grows past any month) and keeps the scan's order (no sort).
 */
export const exportFrom = (table: string) =>
  `${table} e CROSS JOIN LATERAL (SELECT seq, leaf_hash FROM event_log WHERE event_id = e.id OFFSET 0) l`;

/** DuckDB's typed projection of that CSV: the Parquet columns, in ARCHIVE_COLUMNS order. */
const duckCsvColumns = `{${ARCHIVE_COLUMNS.map(
  ({ name, glueType }) => `'${name}': '${glueType === 'timestamp' ? 'BIGINT' : DUCKDB_TYPES[glueType]}'`,
).join(', ')}}`;
const duckProjection = ARCHIVE_COLUMNS.map(({ name, glueType }) =>
  glueType === 'timestamp' ? `make_timestamp("${name}")::TIMESTAMPTZ AS "${name}"` : `"${name}"`,
).join(', ');

/** The same text PostgreSQL produces for a row (pgSelectList), from a Parquet file: verification compares the two. */
export const duckRowText = ARCHIVE_COLUMNS.map(({ name, glueType }) =>
  glueType === 'timestamp' ? `epoch_us("${name}")::VARCHAR` : `"${name}"::VARCHAR`,
).join(', ');
export { pgSelectList as pgRowText };

/**
 * Writes the next slice of a partition, at most `rowsPerFile` rows after `after` in key order, to one ZSTD Parquet file.
 * Rows stream from PostgreSQL (COPY TO STDOUT) into a CSV file and DuckDB converts that file, so memory stays bounded
 * whatever the month's size. Resolves to undefined when no row follows `after`.
 */
export async function exportSlice(input: {
  client: pg.ClientBase;
  duck: DuckDBConnection;
  table: string;
  after: RowKey | undefined;
  rowsPerFile: number;
  workDir: string;
  name: string;
}): Promise<ParquetSlice | undefined> {
  const { client, duck, workDir, name } = input;
  const table = pg.escapeIdentifier(input.table);
  const after = input.after ?? FIRST_KEY;
  const last = await sliceEnd(client, table, after, input.rowsPerFile);
  if (!last) return undefined;

  // COPY takes no bind parameters: the bounds travel as session settings, read back with current_setting().
  await client.query(
    `SELECT set_config('audit.export_after_at', $1, false), set_config('audit.export_after_id', $2, false),
            set_config('audit.export_last_at', $3, false), set_config('audit.export_last_id', $4, false)`,
    [after.occurredAt, after.id, last.occurredAt, last.id],
  );
  const csv = join(workDir, `${name}.csv`);
  const copy = client.query(
    copyTo(
      `COPY (SELECT ${pgSelectList} FROM ${exportFrom(table)}
        WHERE (e.occurred_at, e.id) > (current_setting('audit.export_after_at')::timestamptz, current_setting('audit.export_after_id')::uuid)
          AND (e.occurred_at, e.id) <= (current_setting('audit.export_last_at')::timestamptz, current_setting('audit.export_last_id')::uuid)
        ORDER BY e.occurred_at, e.id) TO STDOUT (FORMAT csv)`,
    ),
  );
  await pipeline(copy, createWriteStream(csv));
  const rows = copy.rowCount;

  const file = join(workDir, `${name}.parquet`);
  try {
    await duck.run(
      `COPY (SELECT ${duckProjection} FROM read_csv(${duckLiteral(csv)}, columns = ${duckCsvColumns},
          header = false, auto_detect = false, delim = ',', quote = '"', escape = '"', allow_quoted_nulls = false))
        TO ${duckLiteral(file)} (FORMAT parquet, COMPRESSION zstd)`,
    );
  } finally {
    await rm(csv, { force: true });
  }
  const { bytes, sha256 } = await fileDigest(file);
  return { file, rows, bytes, sha256, last };
}

/** The key of the slice's last row: `rowsPerFile` rows on, or the partition's last row when fewer remain. */
async function sliceEnd(client: pg.ClientBase, table: string, after: RowKey, rowsPerFile: number) {
  const nth = await client.query<{ occurred_at: Date; id: string }>(
    `SELECT occurred_at, id FROM ${table} WHERE (occurred_at, id) > ($1::timestamptz, $2::uuid)
      ORDER BY occurred_at, id OFFSET $3 LIMIT 1`,
    [after.occurredAt, after.id, rowsPerFile - 1],
  );
  const row =
    nth.rows[0] ??
    (
      await client.query<{ occurred_at: Date; id: string }>(
        `SELECT occurred_at, id FROM ${table} WHERE (occurred_at, id) > ($1::timestamptz, $2::uuid)
          ORDER BY occurred_at DESC, id DESC LIMIT 1`,
        [after.occurredAt, after.id],
      )
    ).rows[0];
  return row ? { occurredAt: row.occurred_at.toISOString(), id: row.id } : undefined;
}

/** Size and SHA-256 of a file, read as a stream. */
export async function fileDigest(file: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}
