import pg from 'pg';
import type { StoredEvent } from '../../core/domain/event.ts';
import { monthOf } from '../../core/domain/month.ts';
import type { EventWriter } from '../../core/ports/events.ts';
import { INSERT_EVENTS_SQL, insertParameters } from './event-rows.ts';
import { ensureIngestPartitions } from './partitions.ts';

/**
 * The append-only event store in PostgreSQL: one month partition per UTC month, created on demand. Written here;
 * read through the query API's PgQueryStore.
 */
export class PgEventStore implements EventWriter {
  constructor(private readonly pool: pg.Pool) {}

  async insert(events: readonly StoredEvent[]): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    const parameters = insertParameters(events);
    try {
      return newEvents(events, await this.insertRows(parameters));
    } catch (error) {
      // The first event of a new month: create its partition, then the same statement succeeds.
      if (!isMissingPartition(error)) throw error;
      await ensureIngestPartitions(
        this.pool,
        events.map((event) => monthOf(new Date(event.occurredAt))),
      );
      return newEvents(events, await this.insertRows(parameters));
    }
  }

  /** The keys of the rows the statement inserted. */
  private async insertRows(parameters: unknown[][]): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string; occurred_at: Date }>(INSERT_EVENTS_SQL, parameters);
    return rows.map((row) => rowKey(row.occurred_at, row.id));
  }
}

/** The primary key (occurred_at, id) as one string: milliseconds, like the column, and the id as PostgreSQL prints it. */
const rowKey = (occurredAt: Date, id: string) => `${occurredAt.getTime()}/${id.toLowerCase()}`;

/**
 * The events whose rows were inserted, in batch order. An event repeated within the batch is inserted once and so
 * listed once (its first occurrence).
 */
function newEvents(events: readonly StoredEvent[], insertedKeys: readonly string[]): StoredEvent[] {
  const remaining = new Map<string, number>();
  for (const key of insertedKeys) remaining.set(key, (remaining.get(key) ?? 0) + 1);
  return events.filter((event) => {
    const key = rowKey(new Date(event.occurredAt), event.id);
    const left = remaining.get(key) ?? 0;
    if (left === 0) return false;
    remaining.set(key, left - 1);
    return true;
  });
}

/**
 * PostgreSQL's answer to a row whose month has no partition: check_violation "no partition of relation "events" found
 * for row". Told apart from a failed CHECK constraint by having no constraint name, which holds in any server locale.
 */
function isMissingPartition(error: unknown): boolean {
  return error instanceof pg.DatabaseError && error.code === '23514' && error.constraint === undefined;
}
