import type pg from 'pg';
import { ADVISORY_LOCKS } from '../../core/contracts/advisory-locks.ts';
import type { LogEntry, SinkCursor, SinkSession, SinkStore } from '../../core/ports/streams.ts';
import { EVENT_COLUMNS, type EventRow, rowToEvent } from './event-rows.ts';

const EVENT_SELECT = EVENT_COLUMNS.split(', ')
  .map((column) => `e.${column}`)
  .join(', ');

/**
 * Sealed entries from a seq on, with their events: the log's primary key gives the order and the density; a left join,
 * since an event whose month was archived is no longer in events (the log keeps its leaf forever).
 */
const READ_SQL = /* sql */ `
SELECT l.seq::text AS seq, l.event_id::text AS log_event_id, e.id IS NOT NULL AS stored, ${EVENT_SELECT}
  FROM (SELECT seq, event_id, occurred_at FROM event_log WHERE seq >= $1 ORDER BY seq LIMIT $2) l
  LEFT JOIN events e ON e.occurred_at = l.occurred_at AND e.id = l.event_id
 ORDER BY l.seq`;

/** A new sink starts at seq 0: it receives the whole log. */
const MAKE_CURSOR_SQL = 'INSERT INTO sink_cursors (sink) VALUES ($1) ON CONFLICT (sink) DO NOTHING';
const CURSOR_SQL = /* sql */ `
SELECT next_seq::text AS next_seq, failures, retry_at, last_error FROM sink_cursors WHERE sink = $1`;

const DELIVERED_SQL = /* sql */ `
UPDATE sink_cursors SET next_seq = $2, failures = 0, retry_at = NULL, delivered_at = now(), updated_at = now()
 WHERE sink = $1`;

/** One statement, so one transaction: the letter is kept exactly when the cursor moves past it. */
const DEAD_LETTER_SQL = /* sql */ `
WITH letter AS (INSERT INTO sink_dead_letters (sink, seq, event_id, reason) VALUES ($1, $2, $3, $4))
UPDATE sink_cursors SET next_seq = $2 + 1, failures = 0, retry_at = NULL,
       last_error = $4, last_error_at = now(), updated_at = now()
 WHERE sink = $1`;

const FAILED_SQL = /* sql */ `
UPDATE sink_cursors SET failures = failures + 1, retry_at = $3, last_error = $2, last_error_at = now(),
       updated_at = now()
 WHERE sink = $1`;

interface ReadRow extends EventRow {
  seq: string;
  log_event_id: string;
  stored: boolean;
}

/**
 * The sinks' cursors in PostgreSQL (migration 014), as audit_forwarder. A sink is held by a session-level advisory
 * lock on a connection kept for the round (ADVISORY_LOCKS.sinkForwarder); each write commits on its own, so no
 * transaction stays open while a sink is slow, and a crash leaves the cursor at the last batch the sink took.
 */
export class PgSinkStore implements SinkStore {
  constructor(private readonly pool: pg.Pool) {}

  withSink<T>(sink: string, work: (session: SinkSession) => Promise<T>): Promise<T | undefined> {
    return this.holding(sink, 'try', (client) => work(new PgSinkSession(client, sink)));
  }

  /**
   * Moves a sink's cursor to `seq` (replay: back; skip: forward), made if new, once no forwarder holds the sink (it
   * waits for a round to end: a round's own cursor writes would undo the move); returns where it was.
   */
  async moveCursor(sink: string, seq: number): Promise<number | undefined> {
    return this.holding(sink, 'wait', async (client) => {
      const { rows } = await client.query<{ next_seq: string }>(CURSOR_SQL, [sink]);
      await client.query(
        `INSERT INTO sink_cursors (sink, next_seq) VALUES ($1, $2)
         ON CONFLICT (sink) DO UPDATE SET next_seq = $2, failures = 0, retry_at = NULL, updated_at = now()`,
        [sink, seq],
      );
      return rows[0] ? Number(rows[0].next_seq) : undefined;
    });
  }

  /**
   * The first seq a replay from an instant starts at: the smallest seq of an event that occurred at or after it. Log
   * order is sealing order, not occurrence order, so what follows it may include a few earlier events; nothing at
   * or after the instant is left out. The log's head when none occurred since.
   */
  async seqAt(instant: Date): Promise<number> {
    const { rows } = await this.pool.query<{ seq: string }>(
      `SELECT coalesce((SELECT min(seq) FROM event_log WHERE occurred_at >= $1),
                       (SELECT coalesce(max(seq) + 1, 0) FROM event_log))::text AS seq`,
      [instant],
    );
    return Number(rows[0]!.seq);
  }

  /** Runs `work` on a connection holding the sink's lock: `try` gives up (undefined) when it is held, `wait` waits. */
  private async holding<T>(
    sink: string,
    how: 'try' | 'wait',
    work: (client: pg.PoolClient) => Promise<T>,
  ): Promise<T | undefined> {
    const client = await this.pool.connect();
    const keys = [ADVISORY_LOCKS.sinkForwarder.classid, sink];
    let locked = false;
    try {
      if (how === 'try') {
        const { rows } = await client.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked',
          keys,
        );
        locked = rows[0]?.locked === true;
        if (!locked) return undefined;
      } else {
        await client.query('SELECT pg_advisory_lock($1, hashtext($2))', keys);
        locked = true;
      }
      return await work(client);
    } finally {
      if (locked)
        await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', keys).then(
          () => client.release(),
          // A connection that cannot unlock is closed: its session's locks end with it.
          () => client.release(true),
        );
      else client.release();
    }
  }
}

class PgSinkSession implements SinkSession {
  constructor(
    private readonly client: pg.PoolClient,
    private readonly sink: string,
  ) {}

  async cursor(): Promise<SinkCursor> {
    const { rows } = await this.client.query<{
      next_seq: string;
      failures: number;
      retry_at: Date | null;
      last_error: string | null;
    }>(CURSOR_SQL, [this.sink]);
    if (!rows[0]) {
      await this.client.query(MAKE_CURSOR_SQL, [this.sink]);
      return this.cursor();
    }
    const row = rows[0]!;
    return { nextSeq: Number(row.next_seq), failures: row.failures, retryAt: row.retry_at, lastError: row.last_error };
  }

  async read(fromSeq: number, limit: number): Promise<LogEntry[]> {
    const { rows } = await this.client.query<ReadRow>(READ_SQL, [fromSeq, limit]);
    return rows.map((row) => ({
      seq: Number(row.seq),
      eventId: row.log_event_id,
      event: row.stored ? rowToEvent(row) : undefined,
    }));
  }

  async delivered(nextSeq: number): Promise<void> {
    await this.client.query(DELIVERED_SQL, [this.sink, nextSeq]);
  }

  async deadLetter(entry: { seq: number; eventId: string }, reason: string): Promise<void> {
    await this.client.query(DEAD_LETTER_SQL, [this.sink, entry.seq, entry.eventId, reason]);
  }

  async failed(reason: string, retryAt: Date): Promise<void> {
    await this.client.query(FAILED_SQL, [this.sink, reason.slice(0, 1000), retryAt]);
  }
}
