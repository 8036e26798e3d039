/** Rows of an archive query, every value as text (Athena's form), timestamps as `YYYY-MM-DD HH:MM:SS.mmm` UTC. */
export interface ArchiveQueryResult {
  columns: string[];
  rows: (string | null)[][];
}

/** SQL over the archive's `events` table: Athena on AWS, DuckDB over the local archive. `?` marks a parameter. */
export interface ArchiveQueryEngine {
  run(sql: string, params?: readonly string[]): Promise<ArchiveQueryResult>;
  close(): Promise<void>;
}

/** `2025-01-01T00:00:00Z` (or `2025-01-01`) → `2025-01-01 00:00:00.000`: a timestamp literal both engines cast. */
export function sqlTimestamp(instant: Date): string {
  return instant.toISOString().replace('T', ' ').replace('Z', '');
}
