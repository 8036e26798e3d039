import { existsSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { type DuckDBConnection, DuckDBTimestampTZValue, StatementType } from '@duckdb/node-api';
import {
  ARCHIVE_COLUMNS,
  ARCHIVE_PARTITION_KEYS,
  ARCHIVE_ROOT_PREFIX,
  ARCHIVE_TABLE,
  DUCKDB_TYPES,
} from '../../core/archive/schema.ts';
import type { ArchiveQueryEngine, ArchiveQueryResult } from '../../core/ports/archive-query.ts';
import { duckLiteral, openDuckDb } from './duckdb.ts';

/**
 * DuckDB over a local archive folder, with a view named and shaped like the Glue table: the archive's columns plus
 * the Hive keys `year` and `month` (strings, as Glue declares them), read with partition pruning.
 *
 * Read-only: the SQL may be anyone's (`trail archive query`), so it runs one SELECT at a time, and DuckDB itself
 * may open no file outside the archive folder (`enable_external_access = false` with `allowed_directories`), with
 * its configuration locked so no statement can undo that. A COPY … TO, an ATTACH, a read_csv('/etc/passwd') fail.
 */
export async function openLocalArchiveQuery(root: string, workDir: string): Promise<ArchiveQueryEngine> {
  const archiveRoot = resolve(root);
  const duck = await openDuckDb({ workDir });
  const files = join(archiveRoot, ARCHIVE_ROOT_PREFIX, '*', '*', '*.parquet');
  try {
    await duck.connection.run(
      `CREATE VIEW ${ARCHIVE_TABLE} AS ${existsSync(join(archiveRoot, ARCHIVE_ROOT_PREFIX)) ? await parquetView(duck.connection, files) : EMPTY}`,
    );
  } catch (error) {
    // A folder with no Parquet file yet (only manifests of empty months): read_parquet refuses an empty glob.
    if (!/No files found/i.test((error as Error).message)) throw error;
    await duck.connection.run(`CREATE VIEW ${ARCHIVE_TABLE} AS ${EMPTY}`);
  }
  // Trino's name for a JSON field's text (DuckDB's json_extract_string), so named queries run unchanged on both.
  await duck.connection.run(`CREATE MACRO json_extract_scalar(json, path) AS json_extract_string(json, path)`);
  await lockDown(duck.connection, archiveRoot);
  return {
    async run(sql: string, params: readonly string[] = []): Promise<ArchiveQueryResult> {
      const statement = await selectOnly(duck.connection, sql);
      if (params.length > 0) statement.bind([...params]);
      const reader = await statement.runAndReadAll();
      return {
        columns: reader.columnNames(),
        rows: reader.getRows().map((row) => row.map(asText)),
      };
    },
    async close() {
      duck.close();
    },
  };
}

/**
 * The files with the Hive keys, read as Athena reads Parquet: columns by name, so that a column files of an older
 * schema version lack (log_seq and leaf_hash before version 2) reads as NULL, in every file or only some. Columns
 * listed, so their order is the Glue table's (DuckDB would put the Hive keys in its own order).
 */
async function parquetView(connection: DuckDBConnection, files: string): Promise<string> {
  const hiveTypes = ARCHIVE_PARTITION_KEYS.map((k) => `'${k.name}': VARCHAR`).join(', ');
  const source = `read_parquet(${duckLiteral(files)}, hive_partitioning = true, hive_types = {${hiveTypes}}, union_by_name = true)`;
  const present = new Set(
    (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRows().map((row) => String(row[0])),
  );
  const columns = [...ARCHIVE_COLUMNS, ...ARCHIVE_PARTITION_KEYS].map((c) =>
    present.has(c.name) ? `"${c.name}"` : `CAST(NULL AS ${DUCKDB_TYPES[c.glueType]}) AS "${c.name}"`,
  );
  return `SELECT ${columns.join(', ')} FROM ${source}`;
}

/** From here on DuckDB opens files under the archive folder only, and no SET can change that. */
async function lockDown(connection: DuckDBConnection, archiveRoot: string): Promise<void> {
  await connection.run(`SET allowed_directories = [${duckLiteral(archiveRoot + sep)}]`);
  await connection.run('SET enable_external_access = false');
  await connection.run('SET lock_configuration = true');
}

/** The one statement of `sql`, prepared, if it is a SELECT; a refusal naming what it is otherwise. */
async function selectOnly(connection: DuckDBConnection, sql: string) {
  const statements = await connection.extractStatements(sql);
  if (statements.count !== 1)
    throw new Error(`the archive runs one SQL statement at a time; this is ${statements.count}`);
  const statement = await statements.prepare(0);
  if (statement.statementType !== StatementType.SELECT)
    throw new Error(
      `the archive is read-only: only SELECT statements run, and this is ${StatementType[statement.statementType] ?? 'another kind'}`,
    );
  return statement;
}

/** Nothing archived yet: the same columns, no rows. */
const EMPTY = `SELECT ${[
  ...ARCHIVE_COLUMNS.map((c) => `CAST(NULL AS ${DUCKDB_TYPES[c.glueType]}) AS "${c.name}"`),
  ...ARCHIVE_PARTITION_KEYS.map((k) => `CAST(NULL AS VARCHAR) AS "${k.name}"`),
].join(', ')} WHERE false`;

/** Text as Athena returns it: timestamps `YYYY-MM-DD HH:MM:SS.mmm` in UTC. */
function asText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof DuckDBTimestampTZValue)
    return new Date(Number(value.micros / 1000n)).toISOString().replace('T', ' ').replace('Z', '');
  return String(value);
}
