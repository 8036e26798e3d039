import pg from 'pg';
import type { StoredEvent } from '../../core/domain/event.ts';
import { monthOf } from '../../core/domain/month.ts';
import type { EventWriter, IdConflict, WriteResult } from '../../core/ports/events.ts';
import { insertParameters, WRITE_EVENTS_SQL, type WrittenRow } from './event-rows.ts';
import { ensureIngestPartitions } from './partitions.ts';

/**
 * The append-only event store in PostgreSQL: one month partition per UTC month, created on demand, and every id
 * ever stored in event_ids (migration 008), so that an id names one event forever. Written here; read through the
 * query API's PgQueryStore.
 */
export class PgEventStore implements EventWriter {
  constructor(private readonly pool: pg.Pool) {}

  async write(events: readonly StoredEvent[]): Promise<WriteResult> {
    if (events.length === 0) return { inserted: [], conflicts: [] };
    const parameters = insertParameters(events);
    let rows: WrittenRow[];
    try {
      rows = await this.writeRows(parameters);
    } catch (error) {
      // The first event of a new month: create its partition, then the same statement succeeds.
      if (!isMissingPartition(error)) throw error;
      await ensureIngestPartitions(this.pool, await this.monthsOfNewIds(events));
      rows = await this.writeRows(parameters);
    }
    return classify(events, await this.withHolders(events, rows));
  }

  /** Inserts the events, as `write`; one under an id that names another event is an error, naming it. */
  async insert(events: readonly StoredEvent[]): Promise<StoredEvent[]> {
    const { inserted, conflicts } = await this.write(events);
    if (conflicts.length > 0) {
      const [first] = conflicts;
      throw new Error(
        `${conflicts.length} event(s) not stored: id ${events[first!.index]!.id} already names an event with other content (occurred ${first!.storedOccurredAt})`,
      );
    }
    return inserted;
  }

  private async writeRows(parameters: unknown[][]): Promise<WrittenRow[]> {
    return (await this.pool.query<WrittenRow>(WRITE_EVENTS_SQL, parameters)).rows;
  }

  /**
   * The months of the events whose ids are not held yet: a resend of an event of an archived month is no insert,
   * and must not bring back an empty partition of that month.
   */
  private async monthsOfNewIds(events: readonly StoredEvent[]) {
    const { rows } = await this.pool.query<{ id: string }>(
      'SELECT id::text FROM event_ids WHERE id = ANY($1::uuid[])',
      [events.map((event) => event.id)],
    );
    const held = new Set(rows.map((row) => row.id));
    return events
      .filter((event) => !held.has(event.id.toLowerCase()))
      .map((event) => monthOf(new Date(event.occurredAt)));
  }

  /**
   * Fills in the holder of ids another writer claimed while the statement ran: its claim waited for that writer's
   * commit, which the statement's snapshot predates. event_ids rows are never removed, so the read finds them.
   */
  private async withHolders(events: readonly StoredEvent[], rows: WrittenRow[]): Promise<WrittenRow[]> {
    const unknown = rows.filter((row) => row.held_digest === null);
    if (unknown.length === 0) return rows;
    const { rows: holders } = await this.pool.query<{ id: string; occurred_at: Date; digest: Buffer }>(
      'SELECT id::text, occurred_at, digest FROM event_ids WHERE id = ANY($1::uuid[])',
      [unknown.map((row) => events[row.ord - 1]!.id)],
    );
    const byId = new Map(holders.map((holder) => [holder.id, holder]));
    return rows.map((row) => {
      if (row.held_digest !== null) return row;
      const holder = byId.get(events[row.ord - 1]!.id.toLowerCase());
      if (!holder) throw new Error(`event id ${events[row.ord - 1]!.id} was neither claimed nor found in event_ids`);
      return { ...row, held_digest: holder.digest, held_occurred_at: holder.occurred_at };
    });
  }
}

/** New, a resend (held with the same digest: nothing to do), or a conflict (held with another digest). */
function classify(events: readonly StoredEvent[], rows: readonly WrittenRow[]): WriteResult {
  const inserted: StoredEvent[] = [];
  const conflicts: IdConflict[] = [];
  for (const row of rows) {
    const index = row.ord - 1;
    if (row.inserted) inserted.push(events[index]!);
    else if (!row.digest.equals(row.held_digest!))
      conflicts.push({ index, storedOccurredAt: row.held_occurred_at!.toISOString() });
  }
  return { inserted, conflicts };
}

/**
 * PostgreSQL's answer to a row whose month has no partition: check_violation "no partition of relation "events" found
 * for row". Told apart from a failed CHECK constraint by having no constraint name, which holds in any server locale.
 */
function isMissingPartition(error: unknown): boolean {
  return error instanceof pg.DatabaseError && error.code === '23514' && error.constraint === undefined;
}
