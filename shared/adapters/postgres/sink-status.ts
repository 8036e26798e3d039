import type pg from 'pg';

/** Where one sink stands, for `trail stream status`, the operations view and the forwarder's lag metrics. */
export interface SinkStatus {
  name: string;
  /** The next seq the sink gets: every seq below it was delivered or dead-lettered. */
  cursorSeq: number;
  /** The log's size: the seq the next sealed event takes. */
  headSeq: number;
  /** Sealed events the sink has not received yet (headSeq − cursorSeq). */
  lagEvents: number;
  /** Seconds since the oldest sealed, undelivered event was received; 0 when none waits. */
  oldestUndeliveredAgeSeconds: number;
  deadLettered: number;
  /** Failed attempts in a row (0 after a delivery); the next attempt not before retryAt. */
  failures: number;
  retryAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  lastDeliveredAt: Date | null;
}

/**
 * Per sink: its cursor against the log's head, the age of the first event it has not received (by that event's
 * received_at, read through the log's primary key), its dead letters and its last error. Reads sink_cursors,
 * sink_dead_letters, event_log and events: audit_reader, audit_forwarder and the owner may. `names`: the configured
 * sinks, listed also before their first round (at seq 0); without it, the sinks that have a cursor.
 */
export async function sinkStatuses(
  db: Pick<pg.Pool, 'query'>,
  names?: readonly string[],
  now: Date = new Date(),
): Promise<SinkStatus[]> {
  const { rows } = await db.query<{
    sink: string;
    next_seq: string;
    head: string;
    received_at: Date | null;
    dead: string;
    failures: number;
    retry_at: Date | null;
    last_error: string | null;
    last_error_at: Date | null;
    delivered_at: Date | null;
  }>(
    `WITH head AS (SELECT coalesce(max(seq) + 1, 0) AS head FROM event_log),
     sinks AS (
       SELECT s.sink, coalesce(c.next_seq, 0) AS next_seq, coalesce(c.failures, 0) AS failures, c.retry_at,
              c.last_error, c.last_error_at, c.delivered_at
         FROM (SELECT sink FROM sink_cursors WHERE $1::text[] IS NULL UNION SELECT unnest($1::text[])) s
         LEFT JOIN sink_cursors c ON c.sink = s.sink
     )
     SELECT s.*, s.next_seq::text AS next_seq, h.head::text AS head,
            (SELECT e.received_at FROM event_log l JOIN events e ON e.occurred_at = l.occurred_at AND e.id = l.event_id
              WHERE l.seq = s.next_seq) AS received_at,
            (SELECT count(*) FROM sink_dead_letters d WHERE d.sink = s.sink)::text AS dead
       FROM sinks s, head h
      ORDER BY s.sink`,
    [names ?? null],
  );
  return rows.map((row) => {
    const cursorSeq = Number(row.next_seq);
    const headSeq = Number(row.head);
    const lagEvents = Math.max(0, headSeq - cursorSeq);
    return {
      name: row.sink,
      cursorSeq,
      headSeq,
      lagEvents,
      oldestUndeliveredAgeSeconds:
        lagEvents > 0 && row.received_at ? Math.max(0, (now.getTime() - row.received_at.getTime()) / 1000) : 0,
      deadLettered: Number(row.dead),
      failures: row.failures,
      retryAt: row.retry_at,
      lastError: row.last_error,
      lastErrorAt: row.last_error_at,
      lastDeliveredAt: row.delivered_at,
    };
  });
}
