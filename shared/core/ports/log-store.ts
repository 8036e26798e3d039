import type { StoredEvent } from '../domain/event.ts';
import type { SignedCheckpoint } from '../tamper/checkpoint.ts';
import type { NodeReader, StoredNode } from '../tamper/merkle.ts';

/**
 * How far the log has read the stored ids: the keyset position (write_xid, id) of the last event_ids row it passed.
 * `xid` is a decimal string (a 64-bit transaction id); the core only hands it back.
 */
export interface LogPosition {
  xid: string;
  id: string;
}

/** The log as its latest checkpoint left it: what the next round resumes from. */
export interface LogHead {
  checkpoint: SignedCheckpoint;
  /** null: no stored id passed yet. */
  position: LogPosition | null;
  /** The tree's compact range at the checkpoint's tree size (CompactRange.hashes). */
  frontier: Buffer[];
}

/** The next stored ids after a position, in keyset order, at most `limit` of them. */
export interface PendingEvents {
  /** The events of the rows read, in keyset order; an id whose event is gone (an archived month) has none. */
  events: StoredEvent[];
  /** event_ids rows read, with or without an event: fewer than `limit` means none was left to read. */
  scanned: number;
  /** The position of the last row read; null when none was. */
  last: LogPosition | null;
}

/** A sealed event's row of the log: its leaf. */
export interface LogLeaf {
  eventId: string;
  occurredAt: string;
  leafHash: Buffer;
}

/**
 * One sealing round: one transaction, which no other round interleaves with. A call may be made before the previous
 * one resolved (the round pipelines its reads and writes); they run in the order made.
 */
export interface LogRound {
  head(): Promise<LogHead | undefined>;
  /**
   * Stored ids after `after` (null: from the first) whose writing transaction has ended, and nothing past an id whose
   * transaction may still commit: every row it returns was committed before any row it will return later.
   */
  pending(after: LogPosition | null, limit: number): Promise<PendingEvents>;
  /** The leaves at seq firstSeq, firstSeq + 1, …, and the tree nodes they completed that the store keeps. */
  append(firstSeq: number, leaves: readonly LogLeaf[], nodes: readonly StoredNode[]): Promise<void>;
  addCheckpoint(checkpoint: SignedCheckpoint, position: LogPosition | null, frontier: readonly Buffer[]): Promise<void>;
}

/** The tamper-evident log's storage (PostgreSQL: shared/adapters/postgres/pg-log-store.ts). */
export interface LogStore extends NodeReader {
  /** Runs `work` as one round, committed when it resolves, rolled back when it throws. */
  round<T>(work: (round: LogRound) => Promise<T>): Promise<T>;
  latest(): Promise<SignedCheckpoint | undefined>;
  /** The checkpoints numbered from `from` to before `to`, in order. */
  checkpoints(from: number, to: number): Promise<SignedCheckpoint[]>;
  /** The first checkpoint whose tree holds leaf `seq` (tree size > seq): the earliest a proof of it can use. */
  checkpointCovering(seq: number): Promise<SignedCheckpoint | undefined>;
  /** A sealed event's place in the tree, for its proof; undefined when it is not sealed (yet). */
  eventLogEntry(eventId: string): Promise<{ seq: number; leafHash: Buffer } | undefined>;
  /**
   * When the oldest stored event the log has not passed was received (among the next ones in log order: the store
   * may bound how many it looks at); undefined when there is none.
   */
  oldestUnsealed(): Promise<Date | undefined>;
}
