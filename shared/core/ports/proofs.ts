import type { StoredEvent } from '../domain/event.ts';
import type { SignedCheckpoint } from '../tamper/checkpoint.ts';
import type { NodeReader } from '../tamper/merkle.ts';

/** A sealed event's leaf in the log (event_log): its index in the tree, the hash stored, when the event occurred. */
export interface LogEntry {
  seq: number;
  leafHash: Buffer;
  occurredAt: string;
}

/** What a per-event proof is made of, read as the query API's reader (PostgreSQL: adapters/postgres/log-proofs.ts). */
export interface ProofStore extends NodeReader {
  /** The event's leaf; undefined when the log has not sealed that id. */
  logEntry(eventId: string): Promise<LogEntry | undefined>;
  /** When the stored event of this id occurred, if the log has not sealed it yet; undefined otherwise. */
  unsealedOccurredAt(eventId: string): Promise<string | undefined>;
  /** The event from PostgreSQL; undefined when its month is no longer there (archived). */
  event(id: string, occurredAt: string): Promise<StoredEvent | undefined>;
  /** The newest signed checkpoint. */
  latestCheckpoint(): Promise<SignedCheckpoint | undefined>;
}
