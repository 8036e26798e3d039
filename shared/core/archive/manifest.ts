import { formatMonth, type Month } from '../domain/month.ts';
import { ARCHIVE_COLUMNS, ARCHIVE_SCHEMA_VERSION, DUCKDB_TYPES } from './schema.ts';

export interface ManifestFile {
  key: string;
  rows: number;
  bytes: number;
  sha256: string;
}

/** `_manifest.json` beside a generation's Parquet files: what was archived, and how to check it is intact. */
export interface ArchiveManifest {
  schemaVersion: number;
  month: string;
  generation: number;
  rowCount: number;
  /** UTC ISO instants; null for a month that had no events. */
  minOccurredAt: string | null;
  maxOccurredAt: string | null;
  files: ManifestFile[];
  columns: { name: string; type: string }[];
}

/** The manifest of one generation. Deterministic (no write time): re-running a step writes the same bytes. */
export function buildManifest(input: {
  month: Month;
  generation: number;
  rowCount: number;
  minOccurredAt: Date | null;
  maxOccurredAt: Date | null;
  files: readonly ManifestFile[];
}): ArchiveManifest {
  return {
    schemaVersion: ARCHIVE_SCHEMA_VERSION,
    month: formatMonth(input.month),
    generation: input.generation,
    rowCount: input.rowCount,
    minOccurredAt: input.minOccurredAt?.toISOString() ?? null,
    maxOccurredAt: input.maxOccurredAt?.toISOString() ?? null,
    files: input.files.map(({ key, rows, bytes, sha256 }) => ({ key, rows, bytes, sha256 })),
    columns: ARCHIVE_COLUMNS.map(({ name, glueType }) => ({ name, type: DUCKDB_TYPES[glueType] })),
  };
}
