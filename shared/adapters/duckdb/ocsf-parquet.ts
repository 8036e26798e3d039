import type { DuckDBConnection } from '@duckdb/node-api';
import type { OcsfClassKey } from '../../core/ocsf/classes.ts';
import { ocsfParquetColumns } from '../../core/ocsf/parquet-schema.ts';
import { duckLiteral } from './duckdb.ts';
import { fileDigest } from './export.ts';

/**
 * Converts a file of OCSF records of one class (one JSON object a line, core/ocsf/mapping.ts) into one ZSTD Parquet
 * file with the class's columns (core/ocsf/parquet-schema.ts), its rows ordered by time as Security Lake asks.
 * DuckDB reads the lines with the columns given, never guessed, so every object of a class has the same schema.
 */
export async function ocsfJsonToParquet(
  duck: DuckDBConnection,
  input: { ndjson: string; ocsfClass: OcsfClassKey; parquet: string },
): Promise<{ rows: number; bytes: number; sha256: string }> {
  const columns = ocsfParquetColumns(input.ocsfClass);
  const spec = `{${columns.map(([name, type]) => `${duckLiteral(name)}: ${duckLiteral(type)}`).join(', ')}}`;
  const names = columns.map(([name]) => `"${name}"`).join(', ');
  await duck.run(
    `COPY (SELECT ${names} FROM read_json(${duckLiteral(input.ndjson)}, format = 'newline_delimited',
        columns = ${spec}, maximum_object_size = 16777216) ORDER BY "time", metadata.uid)
      TO ${duckLiteral(input.parquet)} (FORMAT parquet, COMPRESSION zstd)`,
  );
  const [[rows]] = (
    await duck.runAndReadAll(`SELECT count(*) FROM read_parquet(${duckLiteral(input.parquet)})`)
  ).getRows() as [[bigint]];
  return { rows: Number(rows), ...(await fileDigest(input.parquet)) };
}
