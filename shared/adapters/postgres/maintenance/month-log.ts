import pg from 'pg';
import type { ManifestLog } from '../../../core/archive/manifest.ts';
import { exportFrom } from '../../duckdb/export.ts';
import type { Queryable } from '../partitions.ts';

/**
 * A month's place in the tamper-evident log (migration 010), for its archival: a month is archived only when the log
 * has sealed every one of its events, and its manifest names the checkpoint that covers them.
 */

/**
 * Rows of the month's partition that have no leaf in event_log yet. OFFSET 0 keeps the planner from turning the test
 * into an anti-join that would read the whole log: one index lookup per row of the month instead.
 */
export async function unsealedEvents(db: Queryable, table: string): Promise<number> {
  const { rows } = await db.query<{ count: string }>(
    `SELECT count(*) AS count FROM ${pg.escapeIdentifier(table)} e
      WHERE NOT EXISTS (SELECT 1 FROM event_log l WHERE l.event_id = e.id OFFSET 0)`,
  );
  return Number(rows[0]!.count);
}

/**
 * The month's highest seq and the first checkpoint whose tree holds it (tree size > seq): its number, tree size and
 * root. Null for a month without sealed events. Tree sizes never shrink from one checkpoint to the next, so the
 * first by tree size is the first by number, and the tree_size index finds it.
 */
export async function monthLog(db: Queryable, table: string): Promise<ManifestLog | null> {
  const { rows } = await db.query<{ max_seq: string | null; number: string; tree_size: string; root_hash: Buffer }>(
    `WITH month AS (SELECT max(l.seq) AS max_seq FROM ${exportFrom(pg.escapeIdentifier(table))})
     SELECT m.max_seq::text AS max_seq, c.number::text AS number, c.tree_size::text AS tree_size, c.root_hash
       FROM month m
       LEFT JOIN LATERAL (SELECT number, tree_size, root_hash FROM checkpoints WHERE tree_size > m.max_seq
                           ORDER BY tree_size, number LIMIT 1) c ON true`,
  );
  const row = rows[0];
  if (!row || row.max_seq === null) return null;
  if (row.number === null)
    throw new Error(`${table}: no checkpoint covers seq ${row.max_seq}, though event_log holds it`);
  return {
    maxSeq: Number(row.max_seq),
    treeSize: Number(row.tree_size),
    rootHash: row.root_hash.toString('hex'),
    checkpointNumber: Number(row.number),
  };
}
