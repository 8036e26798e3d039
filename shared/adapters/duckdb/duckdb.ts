import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

export interface DuckDbOptions {
  /** Extensions and spill files go here (DuckDB would otherwise create ~/.duckdb, which Lambda cannot write). */
  workDir: string;
  /** Caps DuckDB's buffer pool; beyond it, it spills to workDir. */
  memoryLimit?: string;
  threads?: number;
}

/** An in-memory DuckDB with bounded memory, UTC session time zone and everything it writes under workDir. */
export async function openDuckDb(options: DuckDbOptions): Promise<{ connection: DuckDBConnection; close(): void }> {
  mkdirSync(options.workDir, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:', {
    extension_directory: join(options.workDir, 'duckdb-extensions'),
    temp_directory: join(options.workDir, 'duckdb-spill'),
    memory_limit: options.memoryLimit ?? '512MB',
    threads: String(options.threads ?? 2),
    // Local files only: the archive is read through the object-store port, never by DuckDB over the network.
    autoinstall_known_extensions: 'false',
  });
  const connection = await instance.connect();
  await connection.run(`SET TimeZone = 'UTC'`);
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** A DuckDB string literal (file paths in COPY/read_* cannot be bound as parameters). */
export function duckLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
