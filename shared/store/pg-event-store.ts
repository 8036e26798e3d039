import pg from 'pg';
import type { StoredEvent } from '../domain/event.ts';
import { monthOf } from '../domain/month.ts';
import type { EventFilter, EventPage, EventReader, EventWriter } from '../ports/index.ts';
import { encodeCursor } from './cursor.ts';
import { type EventRow, INSERT_EVENTS_SQL, insertParameters, rowToEvent } from './event-rows.ts';
import { buildListQuery } from './list-query.ts';
import { ensureIngestPartitions } from './partitions.ts';

export { InvalidCursorError } from './cursor.ts';

/** The append-only event store in PostgreSQL: one month partition per UTC month, created on demand. */
export class PgEventStore implements EventWriter, EventReader {
  constructor(private readonly pool: pg.Pool) {}

  async insert(events: readonly StoredEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const parameters = insertParameters(events);
    try {
      return await this.insertRows(parameters);
    } catch (error) {
      // The first event of a new month: create its partition, then the same statement succeeds.
      if (!isMissingPartition(error)) throw error;
      await ensureIngestPartitions(
        this.pool,
        events.map((event) => monthOf(new Date(event.occurredAt))),
      );
      return await this.insertRows(parameters);
    }
  }

  async list(filter: EventFilter): Promise<EventPage> {
    const { text, values } = buildListQuery(filter);
    const { rows } = await this.pool.query<EventRow>(text, values);
    const events = rows.slice(0, filter.limit).map(rowToEvent);
    const last = events.at(-1);
    const next = rows.length > filter.limit && last ? encodeCursor({ occurredAt: last.occurredAt, id: last.id }) : null;
    return { events, next };
  }

  private async insertRows(parameters: unknown[][]): Promise<number> {
    const result = await this.pool.query(INSERT_EVENTS_SQL, parameters);
    return result.rowCount ?? 0;
  }
}

/**
 * PostgreSQL's answer to a row whose month has no partition: check_violation "no partition of relation "events" found
 * for row". Told apart from a failed CHECK constraint by having no constraint name, which holds in any server locale.
 */
function isMissingPartition(error: unknown): boolean {
  return error instanceof pg.DatabaseError && error.code === '23514' && error.constraint === undefined;
}
