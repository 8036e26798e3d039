import pg from 'pg';
import type { StoredEvent } from '../../core/domain/event.ts';
import { monthOf } from '../../core/domain/month.ts';
import type { EventWriter, IdConflict, WriteResult } from '../../core/ports/events.ts';
import {
  HELD_EVENTS_SQL,
  type HeldRow,
  WRITE_EVENTS_SQL,
  WRITE_NEW_EVENTS_SQL,
  writeParameters,
} from './event-rows.ts';
import { ensureIngestPartitions } from './partitions.ts';

/**
 * The append-only event store in PostgreSQL: one month partition per UTC month, created on demand, and every id
 * ever stored in event_ids (migration 008), so that an id names one event forever. Written here; read through the
 * query API's PgQueryStore.
 */
export class PgEventStore implements EventWriter {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * The first event of each id is written; every other event, a later one under the same id included, is compared
   * with the event its id is held with: the same content is a resend (a no-op), other content a conflict.
   */
  async write(events: readonly StoredEvent[]): Promise<WriteResult> {
    if (events.length === 0) return { inserted: [], conflicts: [] };
    const held = new Map<number, HeldRow>();
    const inserted = new Set(await this.writeFirsts(events, firstOfEachId(events), held));
    const unresolved = [...events.keys()].filter((index) => !inserted.has(index) && !held.has(index));
    for (const [index, row] of await this.heldRows(events, unresolved)) held.set(index, row);
    const conflicts: IdConflict[] = [];
    for (const index of events.keys()) {
      if (inserted.has(index)) continue;
      const row = held.get(index);
      if (!row)
        throw new Error(
          `event id ${events[index]!.id} was neither inserted nor found in event_ids: its fate is unknown`,
        );
      if (!row.same) conflicts.push({ index, storedOccurredAt: row.occurred_at.toISOString() });
    }
    return { inserted: [...inserted].map((index) => events[index]!), conflicts };
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

  /**
   * Writes the events at `firsts` (one per id) and returns those inserted, in batch order. Nearly every batch is new
   * and takes one statement (WRITE_NEW_EVENTS_SQL). When it meets a held id, the held ones are looked up first (into
   * `held`), so a redelivered batch costs no claim, and the others go through WRITE_EVENTS_SQL.
   */
  private async writeFirsts(
    events: readonly StoredEvent[],
    firsts: readonly number[],
    held: Map<number, HeldRow>,
  ): Promise<number[]> {
    const batch = firsts.map((index) => events[index]!);
    try {
      await this.withPartitions(batch, () => this.pool.query(WRITE_NEW_EVENTS_SQL, writeParameters(batch)));
      return [...firsts];
    } catch (error) {
      // Still no partition once the new ids' months exist: a held id's month was archived (whichever of its two
      // inserts PostgreSQL ran first), so the held path below, which inserts no held id, is the answer too.
      if (!isHeldId(error) && !isMissingPartition(error)) throw error;
    }
    for (const [index, row] of await this.heldRows(events, firsts)) held.set(index, row);
    const fresh = firsts.filter((index) => !held.has(index));
    if (fresh.length === 0) return [];
    const freshEvents = fresh.map((index) => events[index]!);
    const { rows } = await this.withPartitions(freshEvents, () =>
      this.pool.query<{ id: string }>(WRITE_EVENTS_SQL, writeParameters(freshEvents)),
    );
    const claimed = new Set(rows.map((row) => row.id));
    return fresh.filter((index) => claimed.has(events[index]!.id.toLowerCase()));
  }

  /** Runs `write`; if an event's month has no partition, creates the months of the new ids and runs it again. */
  private async withPartitions<T>(events: readonly StoredEvent[], write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (!isMissingPartition(error)) throw error;
      await ensureIngestPartitions(this.pool, await this.monthsOfNewIds(events));
      return await write();
    }
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
   * The held row of each event at `indexes` whose id is in event_ids: whether it has the held digest, and when the
   * held event occurred. A statement of its own, after the write, so it sees an id a concurrent writer claimed (the
   * claim waited for that writer's commit); event_ids rows are never removed.
   */
  private async heldRows(events: readonly StoredEvent[], indexes: readonly number[]): Promise<Map<number, HeldRow>> {
    if (indexes.length === 0) return new Map();
    const { rows } = await this.pool.query<HeldRow>(
      HELD_EVENTS_SQL,
      writeParameters(indexes.map((index) => events[index]!)),
    );
    return new Map(rows.map((row) => [indexes[row.ord - 1]!, row]));
  }
}

/** The index of the first event of each id (ids compare as PostgreSQL's uuids do: case aside), in batch order. */
function firstOfEachId(events: readonly StoredEvent[]): number[] {
  const seen = new Set<string>();
  const firsts: number[] = [];
  events.forEach((event, index) => {
    const id = event.id.toLowerCase();
    if (seen.has(id)) return;
    seen.add(id);
    firsts.push(index);
  });
  return firsts;
}

/** WRITE_NEW_EVENTS_SQL met an id already in event_ids (committed, or claimed by a writer that then committed). */
function isHeldId(error: unknown): boolean {
  return error instanceof pg.DatabaseError && error.code === '23505' && error.constraint === 'event_ids_pkey';
}

/**
 * PostgreSQL's answer to a row whose month has no partition: check_violation "no partition of relation "events" found
 * for row". Told apart from a failed CHECK constraint by having no constraint name, which holds in any server locale.
 */
function isMissingPartition(error: unknown): boolean {
  return error instanceof pg.DatabaseError && error.code === '23514' && error.constraint === undefined;
}
