import type { StoredEvent } from '../domain/event.ts';

/**
 * What verification (shared/core/tamper/verify.ts) reads: the log and the events in PostgreSQL, and the log's copies
 * and the archived rows in the archive. Read-only, streamed: nothing here holds all rows at once.
 */

/** A checkpoint row of PostgreSQL, as stored: the columns are checked against the signed body. */
export interface StoredCheckpoint {
  number: number;
  treeSize: number;
  rootHash: Buffer;
  /** The canonical JSON that was signed. */
  body: string;
  signature: Buffer;
}

/** A sealed event's row of event_log, with its events row (joined on occurred_at and id). */
export interface LogEntry {
  seq: number;
  eventId: string;
  /** UTC ISO instant: where the events row is looked up, and which month it belongs to. */
  occurredAt: string;
  leafHash: Buffer;
  /** The events row in the API's form; undefined when there is none (deleted, or its month archived). */
  event: StoredEvent | undefined;
}

/** An events row the log does not hold, or holds under another occurred_at. */
export interface UnloggedRow {
  event: StoredEvent;
  /** YYYY-MM of its occurred_at. */
  month: string;
  /** The seq event_log has for this id (logged under another occurred_at), with that entry's leaf. */
  logged?: { seq: number; leafHash: Buffer };
}

export interface UnloggedRows {
  /** Rows that no checkpoint has passed yet: written after the latest checkpoint's position (the pending tail). */
  pending: number;
  /**
   * Rows the log should hold and does not: before the latest checkpoint's position, or without an event_ids row at
   * all, or logged under another occurred_at. Counted per month, with the first rows of each month (bounded).
   */
  months: { month: string; count: number; rows: UnloggedRow[] }[];
}

/** One consistent snapshot of the log and the events in PostgreSQL. */
export interface LogDatabaseView {
  /** Every checkpoint, in number order, in batches. */
  checkpoints(): AsyncIterable<StoredCheckpoint[]>;
  /** The compact range stored with a checkpoint (its tree's frontier), if PostgreSQL has that checkpoint. */
  frontier(number: number): Promise<Buffer[] | undefined>;
  /** Every event_log row in seq order, in batches, each with its events row. */
  entries(): AsyncIterable<LogEntry[]>;
  unlogged(rowsPerMonth: number): Promise<UnloggedRows>;
}

export interface LogDatabase {
  /** Runs `read` in one read-only snapshot, which no archival drops a month out of while it runs. */
  snapshot<T>(read: (view: LogDatabaseView) => Promise<T>): Promise<T>;
}

/** An object of the archive, as listed. */
export interface ArchiveObject {
  key: string;
  size: number;
}

/** An archived Parquet row that carries a place in the log. */
export interface ArchivedRow {
  /** The file it is in. */
  key: string;
  seq: number;
  /** The row's own leaf_hash column (hex, as written). */
  leafHash: string;
  /** The row read as an event, or why it cannot be. */
  event: StoredEvent | { unreadable: string };
}

/** What was found of one Parquet file the archive lists or holds. */
export type ArchivedFile =
  | { key: string; present: false }
  | {
      key: string;
      present: true;
      sha256: string;
      /** Rows in the file; undefined when it cannot be read as Parquet (then `unreadable` says why). */
      rows?: number;
      /** Its rows without a log_seq: archived before the log existed. */
      outsideLog?: number;
      /** The columns it has, as `name TYPE`. */
      columns?: string[];
      /** The greatest log_seq among its rows. */
      maxSeq?: number | null;
      unreadable?: string;
    };

/** The archived rows, opened for one verification. */
export interface ArchivedRows {
  files: ArchivedFile[];
  /** Every row of the readable files that has a log_seq, in log_seq order (then by file), in batches. */
  rows(): AsyncIterable<ArchivedRow[]>;
  close(): Promise<void>;
}

export interface LogArchiveReader {
  /** Where the archive is, for messages. */
  readonly url: string;
  list(prefix: string): Promise<ArchiveObject[]>;
  /** The object's bytes; undefined when it is gone. */
  read(key: string): Promise<Buffer | undefined>;
  /** The object's bytes in chunks (leaf files may be large); nothing when it is gone. */
  stream(key: string): AsyncIterable<Buffer>;
  /** Fetches and hashes the Parquet files at `keys`, then reads their rows. */
  openRows(keys: readonly string[]): Promise<ArchivedRows>;
}
