import type pg from 'pg';
import { ADVISORY_LOCKS, lockKeys } from '../../core/contracts/advisory-locks.ts';
import type {
  LogDatabase,
  LogDatabaseView,
  LogEntry,
  StoredCheckpoint,
  UnloggedRows,
} from '../../core/ports/log-audit.ts';
import { EVENT_COLUMNS, type EventRow, rowToEvent } from './event-rows.ts';

const MAINTENANCE_LOCK = lockKeys(ADVISORY_LOCKS.maintenance);
const ENTRY_BATCH = 5000;
const CHECKPOINT_BATCH = 1000;

const EVENT_SELECT = EVENT_COLUMNS.split(', ')
  .map((column) => `e.${column}`)
  .join(', ');

/**
 * Checkpoints after a number, in order: the signed body as stored, and the columns that must agree with it. (Ordered
 * by the qualified column: unqualified, ORDER BY would take the text alias and sort 10 before 2.)
 */
const CHECKPOINTS_SQL = /* sql */ `
SELECT c.number::text AS number, c.tree_size::text AS tree_size, c.root_hash, c.body, c.signature
  FROM checkpoints c WHERE c.number > $1 ORDER BY c.number LIMIT $2`;

/**
 * event_log after a seq, in order, each row with its events row: looked up by the partition key and id the log
 * recorded (the primary key of the month's partition), so a row moved to another occurred_at is not found here; the
 * rows outside the log (below) find it. One index probe per row, in seq order: the LATERAL subquery's OFFSET 0 keeps
 * the planner from flattening it into a hash join, which would scan every partition for every batch.
 */
const ENTRIES_SQL = /* sql */ `
SELECT l.seq::text AS seq, l.event_id::text AS event_id, l.occurred_at AS log_occurred_at, l.leaf_hash,
       e.id IS NOT NULL AS stored, ${EVENT_SELECT}
  FROM (SELECT * FROM event_log WHERE seq > $1 ORDER BY seq LIMIT $2) l
  LEFT JOIN LATERAL (SELECT * FROM events WHERE occurred_at = l.occurred_at AND id = l.event_id OFFSET 0) e ON true
 ORDER BY l.seq`;

/**
 * Events rows that event_log does not hold as they are (by id and occurred_at), each with: the seq event_log has for
 * its id, if any (a row moved to another occurred_at), and whether it is the pending tail, written after the latest
 * checkpoint's keyset position (write_xid, id), which the next round seals. The first $1 of each month are returned
 * with the month's count; every row also carries the pending count, and one row comes back when there is nothing.
 */
const UNLOGGED_SQL = /* sql */ `
WITH position AS (SELECT sealed_xid AS xid, sealed_id AS id FROM checkpoints ORDER BY number DESC LIMIT 1),
outside AS MATERIALIZED (
  SELECT ${EVENT_SELECT} FROM events e
   WHERE NOT EXISTS (SELECT 1 FROM event_log l WHERE l.event_id = e.id AND l.occurred_at = e.occurred_at)
),
classified AS MATERIALIZED (
  SELECT o.*, l.seq::text AS logged_seq, l.leaf_hash AS logged_leaf,
         l.seq IS NULL AND i.id IS NOT NULL
           AND (p.xid IS NULL OR (i.write_xid, i.id) > (p.xid, p.id)) AS pending,
         to_char(o.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month
    FROM outside o
    LEFT JOIN event_log l ON l.event_id = o.id
    LEFT JOIN event_ids i ON i.id = o.id
    LEFT JOIN position p ON true
),
ranked AS (
  SELECT c.*, count(*) OVER (PARTITION BY month) AS month_count,
         row_number() OVER (PARTITION BY month ORDER BY occurred_at, id) AS month_row
    FROM classified c WHERE NOT pending
)
SELECT (SELECT count(*) FROM classified WHERE pending)::int AS pending_count, r.*
  FROM (SELECT 1) one LEFT JOIN ranked r ON r.month_row <= $1
 ORDER BY r.month, r.month_row`;

interface EntryRow extends EventRow {
  seq: string;
  event_id: string;
  log_occurred_at: Date;
  leaf_hash: Buffer;
  stored: boolean;
}

interface UnloggedRow extends EventRow {
  pending_count: number;
  logged_seq: string | null;
  logged_leaf: Buffer | null;
  month: string | null;
  month_count: string | null;
}

/**
 * The log and the events in PostgreSQL, for verification: one REPEATABLE READ, READ ONLY transaction, so the
 * checkpoints, event_log and the events are read as of one instant, however long the reading takes. A read-only
 * transaction takes no transaction id, so it holds back no sealer (whose horizon is the oldest running one).
 * The reader needs SELECT on events, event_ids, event_log and checkpoints: the owner (maintenance) or audit_sealer.
 */
export class PgLogDatabase implements LogDatabase {
  constructor(private readonly pool: pg.Pool) {}

  async snapshot<T>(read: (view: LogDatabaseView) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let healthy = false;
    try {
      // Shared with other verifications, exclusive of a maintenance run: no month is detached and dropped while its
      // rows are being read (a run that finds it held skips, as it does for another run). Taken before the
      // snapshot, so the snapshot is of after any run this waited for.
      await client.query('SELECT pg_advisory_lock_shared($1, $2)', MAINTENANCE_LOCK);
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      // The probes' estimated cost (every partition's index) would compile each batch's plan: pointless, and slower.
      await client.query('SET LOCAL jit = off');
      const result = await read(new PgLogView(client));
      await client.query('COMMIT');
      await client.query('SELECT pg_advisory_unlock_shared($1, $2)', MAINTENANCE_LOCK);
      healthy = true;
      return result;
    } finally {
      // A failed session may hold the transaction and the lock: ending it releases both.
      client.release(!healthy);
    }
  }
}

class PgLogView implements LogDatabaseView {
  constructor(private readonly client: pg.ClientBase) {}

  async *checkpoints(): AsyncGenerator<StoredCheckpoint[]> {
    let after = -1;
    for (;;) {
      const { rows } = await this.client.query<{
        number: string;
        tree_size: string;
        root_hash: Buffer;
        body: string;
        signature: Buffer;
      }>(CHECKPOINTS_SQL, [after, CHECKPOINT_BATCH]);
      if (rows.length === 0) return;
      yield rows.map((row) => ({
        number: Number(row.number),
        treeSize: Number(row.tree_size),
        rootHash: row.root_hash,
        body: row.body,
        signature: row.signature,
      }));
      after = Number(rows.at(-1)!.number);
    }
  }

  async frontier(number: number): Promise<Buffer[] | undefined> {
    const { rows } = await this.client.query<{ frontier: Buffer[] }>(
      'SELECT frontier FROM checkpoints WHERE number = $1',
      [number],
    );
    return rows[0]?.frontier;
  }

  /** The next batch is asked for before this one is handed on: PostgreSQL reads it while the caller hashes. */
  async *entries(): AsyncGenerator<LogEntry[]> {
    const batchAfter = (seq: number) => {
      const query = this.client.query<EntryRow>(ENTRIES_SQL, [seq, ENTRY_BATCH]);
      // Awaited below; a reader that stops early leaves it to finish, unheard.
      query.catch(() => undefined);
      return query;
    };
    let next = batchAfter(-1);
    for (;;) {
      const { rows } = await next;
      if (rows.length === 0) return;
      next = batchAfter(Number(rows.at(-1)!.seq));
      yield rows.map((row) => ({
        seq: Number(row.seq),
        eventId: row.event_id,
        occurredAt: row.log_occurred_at.toISOString(),
        leafHash: row.leaf_hash,
        event: row.stored ? rowToEvent(row) : undefined,
      }));
    }
  }

  async unlogged(rowsPerMonth: number): Promise<UnloggedRows> {
    const { rows } = await this.client.query<UnloggedRow>(UNLOGGED_SQL, [rowsPerMonth]);
    const months = new Map<string, UnloggedRows['months'][number]>();
    for (const row of rows) {
      if (row.month === null) continue;
      const month = months.get(row.month) ?? { month: row.month, count: Number(row.month_count), rows: [] };
      months.set(row.month, month);
      month.rows.push({
        event: rowToEvent(row),
        month: row.month,
        ...(row.logged_seq !== null && { logged: { seq: Number(row.logged_seq), leafHash: row.logged_leaf! } }),
      });
    }
    return { pending: rows[0]?.pending_count ?? 0, months: [...months.values()] };
  }
}
