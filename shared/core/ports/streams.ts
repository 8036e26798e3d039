import type { StoredEvent } from '../domain/event.ts';
import type { DeliveryResult } from '../streams/delivery.ts';

/** A sealed event at its place in the log: `seq` is event_log.seq, dense from 0, the order sinks receive. */
export interface SequencedEvent {
  seq: number;
  event: StoredEvent;
}

/** Where one sink stands (sink_cursors, migration 014). */
export interface SinkCursor {
  /** The next seq to deliver: every seq below it was delivered or dead-lettered. */
  nextSeq: number;
  /** Failed attempts in a row; 0 after a delivery. */
  failures: number;
  /** No attempt before this instant (backoff); null: due now. */
  retryAt: Date | null;
  lastError: string | null;
}

/** One seq of the log read for a sink: its event, or none when the event is no longer in PostgreSQL (archived). */
export interface LogEntry {
  seq: number;
  eventId: string;
  event: StoredEvent | undefined;
}

/** A sink's cursor and its log, while this forwarder alone holds the sink (no other delivers to it meanwhile). */
export interface SinkSession {
  cursor(): Promise<SinkCursor>;
  /** Up to `limit` sealed entries from `fromSeq` on, in seq order, without gaps. */
  read(fromSeq: number, limit: number): Promise<LogEntry[]>;
  /** Everything below `nextSeq` is delivered: the cursor moves there and the failure count is cleared. */
  delivered(nextSeq: number): Promise<void>;
  /** Sets `entry` aside with the sink's reason and moves the cursor past it, in one transaction. */
  deadLetter(entry: { seq: number; eventId: string }, reason: string): Promise<void>;
  /** A failed attempt: counted, its reason kept, the next one not before `retryAt`. */
  failed(reason: string, retryAt: Date): Promise<void>;
}

/** The cursors in PostgreSQL (shared/adapters/postgres/pg-sink-store.ts). */
export interface SinkStore {
  /**
   * Runs `work` holding the sink (made at seq 0 the first time); undefined, without running it, when another
   * forwarder holds it.
   */
  withSink<T>(sink: string, work: (session: SinkSession) => Promise<T>): Promise<T | undefined>;
}

/** One sink's transport: delivers events, in the order given, as one request. */
export interface SinkClient {
  deliver(events: readonly SequencedEvent[]): Promise<DeliveryResult>;
}
