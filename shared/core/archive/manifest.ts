import { formatMonth, type Month } from '../domain/month.ts';
import { ARCHIVE_COLUMNS, ARCHIVE_SCHEMA_VERSION, DUCKDB_TYPES } from './schema.ts';

export interface ManifestFile {
  key: string;
  rows: number;
  bytes: number;
  sha256: string;
}

/**
 * Where a month's events are in the tamper-evident log (docs/tamper-evidence.md): its highest sequence number, and
 * the first signed checkpoint whose tree holds it, with that tree's size and root. Every event of the month is sealed
 * before it is archived, so each archived row's (log_seq, leaf_hash) has an inclusion proof against this root.
 */
export interface ManifestLog {
  maxSeq: number;
  treeSize: number;
  /** SHA-256, 64 lower-case hex characters, as the checkpoint's rootHash. */
  rootHash: string;
  checkpointNumber: number;
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
  /** Null for a month that had no events. */
  log: ManifestLog | null;
}

/** The manifest of one generation. Deterministic (no write time): re-running a step writes the same bytes. */
export function buildManifest(input: {
  month: Month;
  generation: number;
  rowCount: number;
  minOccurredAt: Date | null;
  maxOccurredAt: Date | null;
  files: readonly ManifestFile[];
  log: ManifestLog | null;
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
    log: input.log && {
      maxSeq: input.log.maxSeq,
      treeSize: input.log.treeSize,
      rootHash: input.log.rootHash,
      checkpointNumber: input.log.checkpointNumber,
    },
  };
}
