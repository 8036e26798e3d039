import type pg from 'pg';
import type { StoredEvent } from '../../core/domain/event.ts';
import type { LogEntry, ProofStore } from '../../core/ports/proofs.ts';
import type { SignedCheckpoint } from '../../core/tamper/checkpoint.ts';
import { EVENT_COLUMNS, type EventRow, rowToEvent } from './event-rows.ts';
import { PgLogStore } from './pg-log-store.ts';

/**
 * The reads of a per-event proof, as audit_reader: the event's leaf and when it occurred (event_log), the event by its
 * primary key, the tree's nodes and the newest checkpoint (the log store's reads). Whether a stored id is sealed yet
 * is asked of audit_unsealed_event_occurred_at (migration 011): the reader may not read event_ids itself.
 */
export class PgProofStore implements ProofStore {
  readonly #log: PgLogStore;

  constructor(private readonly pool: pg.Pool) {
    this.#log = new PgLogStore(pool);
  }

  async logEntry(eventId: string): Promise<LogEntry | undefined> {
    const { rows } = await this.pool.query<{ seq: string; leaf_hash: Buffer; occurred_at: Date }>(
      'SELECT seq::text AS seq, leaf_hash, occurred_at FROM event_log WHERE event_id = $1',
      [eventId],
    );
    const row = rows[0];
    return row && { seq: Number(row.seq), leafHash: row.leaf_hash, occurredAt: row.occurred_at.toISOString() };
  }

  async unsealedOccurredAt(eventId: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ occurred_at: Date | null }>(
      'SELECT audit_unsealed_event_occurred_at($1) AS occurred_at',
      [eventId],
    );
    return rows[0]?.occurred_at?.toISOString();
  }

  async event(id: string, occurredAt: string): Promise<StoredEvent | undefined> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE occurred_at = $1 AND id = $2`,
      [occurredAt, id],
    );
    return rows[0] && rowToEvent(rows[0]);
  }

  latestCheckpoint(): Promise<SignedCheckpoint | undefined> {
    return this.#log.latest();
  }

  leaves(from: number, to: number): Promise<Buffer[]> {
    return this.#log.leaves(from, to);
  }

  nodes(level: number, from: number, to: number): Promise<Buffer[]> {
    return this.#log.nodes(level, from, to);
  }
}
