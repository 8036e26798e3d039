import pg from 'pg';
import { ADVISORY_LOCKS, lockKeys } from '../../core/contracts/advisory-locks.ts';
import type { LogHead, LogLeaf, LogPosition, LogRound, LogStore, PendingEvents } from '../../core/ports/log-store.ts';
import { checkpointBytes, type SignedCheckpoint, signedCheckpointSchema } from '../../core/tamper/checkpoint.ts';
import type { StoredNode } from '../../core/tamper/merkle.ts';
import { EVENT_COLUMNS, type EventRow, rowToEvent } from './event-rows.ts';

const SEAL_LOCK = lockKeys(ADVISORY_LOCKS.seal);
/** Below every position: write_xid is ≥ 0, and no uuid sorts before the nil one. */
const BEFORE_ALL: LogPosition = { xid: '-1', id: '00000000-0000-0000-0000-000000000000' };

const EVENT_SELECT = EVENT_COLUMNS.split(', ')
  .map((column) => `e.${column}`)
  .join(', ');

/**
 * The next stored ids after a keyset position ($1, $2) whose transactions have ended, with their events, in one
 * statement: the horizon is the oldest transaction still running in this statement's snapshot (READ COMMITTED: one
 * snapshot per statement), so every row below it that will ever exist is committed and visible now, and nothing at or
 * above it, however committed, is read. The ids are ordered and cut first, then joined to their events (a nested loop
 * that keeps their order: no sort of whole rows). A left join: an id whose month was archived before the log existed
 * has no event, and is passed over. `write_xid >= $1` lets the BRIN index skip the block ranges already passed.
 */
const PENDING_SQL = /* sql */ `
WITH horizon AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xid)
SELECT i.write_xid::text AS write_xid, i.id::text AS log_id, e.id IS NOT NULL AS stored, ${EVENT_SELECT}
  FROM (SELECT write_xid, id, occurred_at FROM event_ids
         WHERE write_xid >= $1::bigint AND (write_xid, id) > ($1::bigint, $2::uuid)
           AND write_xid < (SELECT xid FROM horizon)
         ORDER BY write_xid, id
         LIMIT $3) i
  LEFT JOIN events e ON e.occurred_at = i.occurred_at AND e.id = i.id
 ORDER BY i.write_xid, i.id`;

/**
 * The rows written before migration 010, write_xid 0, committed before it (its ALTER TABLE waited for their
 * writers), in id order: the primary key serves that order, where the keyset above would sort them all every chunk.
 */
const LEGACY_SQL = /* sql */ `
SELECT i.write_xid::text AS write_xid, i.id::text AS log_id, e.id IS NOT NULL AS stored, ${EVENT_SELECT}
  FROM (SELECT write_xid, id, occurred_at FROM event_ids WHERE write_xid = 0 AND id > $1::uuid ORDER BY id LIMIT $2) i
  LEFT JOIN events e ON e.occurred_at = i.occurred_at AND e.id = i.id
 ORDER BY i.id`;

const HEAD_SQL = /* sql */ `
SELECT body, signature, sealed_xid::text AS sealed_xid, sealed_id::text AS sealed_id, frontier
  FROM checkpoints ORDER BY number DESC LIMIT 1`;

/** The leaves at dense seqs from $1: ids, instants and hashes as arrays, one statement for a whole chunk. */
const APPEND_LEAVES_SQL = /* sql */ `
INSERT INTO event_log (seq, event_id, occurred_at, leaf_hash)
SELECT $1::bigint + l.ord - 1, l.event_id, l.occurred_at, l.leaf_hash
  FROM unnest($2::uuid[], $3::timestamptz[], $4::bytea[]) WITH ORDINALITY AS l(event_id, occurred_at, leaf_hash, ord)`;

const APPEND_NODES_SQL = /* sql */ `
INSERT INTO log_nodes (level, index, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])`;

const ADD_CHECKPOINT_SQL = /* sql */ `
INSERT INTO checkpoints (number, tree_size, root_hash, body, signature, sealed_xid, sealed_id, frontier, issued_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::bytea[], $9)`;

/**
 * When the oldest of the next ids the log has not passed was received: how far the sealer lags. The next 1000 in log
 * order, not all: a backlog is not read twice, and the earliest received are among the first (a transaction held open
 * is first in line once it commits).
 */
const OLDEST_UNSEALED_SQL = /* sql */ `
WITH head AS (SELECT sealed_xid, sealed_id FROM checkpoints ORDER BY number DESC LIMIT 1),
position AS (
  SELECT coalesce((SELECT sealed_xid FROM head), -1) AS xid,
         coalesce((SELECT sealed_id FROM head), '00000000-0000-0000-0000-000000000000') AS id
)
SELECT min(e.received_at) AS oldest
  FROM (SELECT i.write_xid, i.id, i.occurred_at FROM position p, event_ids i
         WHERE i.write_xid >= p.xid AND (i.write_xid, i.id) > (p.xid, p.id)
         ORDER BY i.write_xid, i.id
         LIMIT 1000) i
  JOIN events e ON e.occurred_at = i.occurred_at AND e.id = i.id`;

/**
 * `timestamptz` as the text PostgreSQL sends in the round (TimeZone UTC, DateStyle ISO: `2026-12-01 17:07:42.123+00`)
 * turned into toISOString()'s form by moving characters, not through a Date: the sealer reads two per event. Any other
 * spelling (no fraction, microseconds too) goes through node-postgres's own parser, as before.
 */
const PG_UTC_MS = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\+00$/;
const parseTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (text: string) => Date;

export function pgInstant(text: string): string {
  if (PG_UTC_MS.test(text)) return `${text.slice(0, 10)}T${text.slice(11, 23)}Z`;
  return parseTimestamptz(text).toISOString();
}

/** The type parsers of the round's reads: instants as ISO text, every other type as node-postgres parses it. */
const ROUND_TYPES = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.TIMESTAMPTZ
      ? pgInstant
      : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

interface PendingRow extends Omit<EventRow, 'occurred_at' | 'received_at'> {
  occurred_at: string;
  received_at: string;
  write_xid: string;
  log_id: string;
  stored: boolean;
}

interface CheckpointRow {
  body: string;
  signature: Buffer;
}

/**
 * The log in PostgreSQL (migration 010): event_log holds a leaf per sealed event, log_nodes the stored subtree roots,
 * checkpoints the signed tree heads with where the sealer stands. Rounds log in as audit_sealer; proofs read as
 * audit_reader.
 */
export class PgLogStore implements LogStore {
  constructor(private readonly pool: pg.Pool) {}

  async round<T>(work: (round: LogRound) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      // READ COMMITTED on purpose: each statement sees what committed before it, so once the lock is ours the head
      // read next is the previous round's, never a snapshot taken while waiting for it.
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', SEAL_LOCK);
      // The form ROUND_TYPES reads instants in, whatever the server's, the database's or the role's defaults.
      await client.query("SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO'");
      const result = await work(new PgLogRound(client));
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      // Discarding the connection ends its session, and with it the transaction and the lock.
      client.release(true);
      throw error;
    }
  }

  async latest(): Promise<SignedCheckpoint | undefined> {
    const { rows } = await this.pool.query<CheckpointRow>(
      'SELECT body, signature FROM checkpoints ORDER BY number DESC LIMIT 1',
    );
    return rows[0] && signedCheckpoint(rows[0]);
  }

  async checkpoints(from: number, to: number): Promise<SignedCheckpoint[]> {
    const { rows } = await this.pool.query<CheckpointRow>(
      'SELECT body, signature FROM checkpoints WHERE number >= $1 AND number < $2 ORDER BY number',
      [from, to],
    );
    return rows.map(signedCheckpoint);
  }

  async checkpointCovering(seq: number): Promise<SignedCheckpoint | undefined> {
    const { rows } = await this.pool.query<CheckpointRow>(
      'SELECT body, signature FROM checkpoints WHERE tree_size > $1 ORDER BY number LIMIT 1',
      [seq],
    );
    return rows[0] && signedCheckpoint(rows[0]);
  }

  async eventLogEntry(eventId: string): Promise<{ seq: number; leafHash: Buffer } | undefined> {
    const { rows } = await this.pool.query<{ seq: string; leaf_hash: Buffer }>(
      'SELECT seq, leaf_hash FROM event_log WHERE event_id = $1',
      [eventId],
    );
    return rows[0] && { seq: Number(rows[0].seq), leafHash: rows[0].leaf_hash };
  }

  async oldestUnsealed(): Promise<Date | undefined> {
    const { rows } = await this.pool.query<{ oldest: Date | null }>(OLDEST_UNSEALED_SQL);
    return rows[0]?.oldest ?? undefined;
  }

  async leaves(from: number, to: number): Promise<Buffer[]> {
    const { rows } = await this.pool.query<{ leaf_hash: Buffer }>(
      'SELECT leaf_hash FROM event_log WHERE seq >= $1 AND seq < $2 ORDER BY seq',
      [from, to],
    );
    return complete(
      rows.map((row) => row.leaf_hash),
      from,
      to,
      'leaves',
    );
  }

  async nodes(level: number, from: number, to: number): Promise<Buffer[]> {
    if (level === 0) return this.leaves(from, to);
    const { rows } = await this.pool.query<{ hash: Buffer }>(
      'SELECT hash FROM log_nodes WHERE level = $1 AND index >= $2 AND index < $3 ORDER BY index',
      [level, from, to],
    );
    return complete(
      rows.map((row) => row.hash),
      from,
      to,
      `nodes of level ${level}`,
    );
  }
}

class PgLogRound implements LogRound {
  constructor(private readonly client: pg.PoolClient) {}

  async head(): Promise<LogHead | undefined> {
    const { rows } = await this.client.query<
      CheckpointRow & { sealed_xid: string | null; sealed_id: string | null; frontier: Buffer[] }
    >(HEAD_SQL);
    const row = rows[0];
    if (!row) return undefined;
    return {
      checkpoint: signedCheckpoint(row),
      position: row.sealed_xid !== null && row.sealed_id !== null ? { xid: row.sealed_xid, id: row.sealed_id } : null,
      frontier: row.frontier,
    };
  }

  async pending(after: LogPosition | null, limit: number): Promise<PendingEvents> {
    const rows: PendingRow[] = [];
    let position = after ?? BEFORE_ALL;
    if (position.xid === BEFORE_ALL.xid || position.xid === '0') {
      const legacy = await this.client.query<PendingRow>({
        text: LEGACY_SQL,
        values: [position.xid === '0' ? position.id : BEFORE_ALL.id, limit],
        types: ROUND_TYPES,
      });
      rows.push(...legacy.rows);
      const last = legacy.rows.at(-1);
      if (last) position = { xid: last.write_xid, id: last.log_id };
    }
    if (rows.length < limit) {
      const fresh = await this.client.query<PendingRow>({
        text: PENDING_SQL,
        values: [position.xid, position.id, limit - rows.length],
        types: ROUND_TYPES,
      });
      rows.push(...fresh.rows);
    }
    const last = rows.at(-1);
    return {
      events: rows.filter((row) => row.stored).map(rowToEvent),
      scanned: rows.length,
      last: last ? { xid: last.write_xid, id: last.log_id } : null,
    };
  }

  async append(firstSeq: number, leaves: readonly LogLeaf[], nodes: readonly StoredNode[]): Promise<void> {
    if (leaves.length > 0)
      await this.client.query(APPEND_LEAVES_SQL, [
        firstSeq,
        leaves.map((leaf) => leaf.eventId),
        leaves.map((leaf) => leaf.occurredAt),
        leaves.map((leaf) => leaf.leafHash),
      ]);
    if (nodes.length > 0)
      await this.client.query(APPEND_NODES_SQL, [
        nodes.map((node) => node.level),
        nodes.map((node) => node.index),
        nodes.map((node) => node.hash),
      ]);
  }

  async addCheckpoint(
    checkpoint: SignedCheckpoint,
    position: LogPosition | null,
    frontier: readonly Buffer[],
  ): Promise<void> {
    const { body } = checkpoint;
    await this.client.query(ADD_CHECKPOINT_SQL, [
      body.number,
      body.treeSize,
      Buffer.from(body.rootHash, 'hex'),
      checkpointBytes(body).toString('utf8'),
      Buffer.from(checkpoint.signature, 'base64'),
      position?.xid ?? null,
      position?.id ?? null,
      frontier,
      body.issuedAt,
    ]);
  }
}

/** A stored checkpoint as signed: its canonical body parsed back, its DER signature in base64. */
function signedCheckpoint(row: CheckpointRow): SignedCheckpoint {
  return signedCheckpointSchema.parse({ body: JSON.parse(row.body), signature: row.signature.toString('base64') });
}

/** The hashes of indexes [from, to), or an error naming what is missing: a gap is never papered over. */
function complete(hashes: Buffer[], from: number, to: number, what: string): Buffer[] {
  const expected = Math.max(0, to - from);
  if (hashes.length !== expected)
    throw new Error(`the log holds ${hashes.length} of the ${expected} ${what} [${from}, ${to})`);
  return hashes;
}
