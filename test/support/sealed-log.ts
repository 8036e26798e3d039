import type pg from 'pg';
import { expect } from 'vitest';
import { EVENT_COLUMNS, type EventRow, rowToEvent } from '../../shared/adapters/postgres/event-rows.ts';
import {
  checkpointHash,
  signedCheckpointSchema,
  verifyCheckpointSignature,
} from '../../shared/core/tamper/checkpoint.ts';
import { leafHash } from '../../shared/core/tamper/leaf.ts';
import { rootFromLeaves } from '../../shared/core/tamper/merkle.ts';

/**
 * Checks the whole log against the stored events, as an auditor would with the owner's read access: every event has
 * exactly one seq, seqs are dense from 0, each leaf is the hash of its event's row, and every checkpoint is signed
 * by the key, chained to the one before, and has the root of the first treeSize leaves. Returns the leaf hashes in
 * seq order and the checkpoints.
 */
export async function expectSoundLog(owner: pg.Pool, publicKeyPem: string) {
  const columns = EVENT_COLUMNS.split(', ')
    .map((column) => `e.${column}`)
    .join(', ');
  const { rows } = await owner.query<EventRow & { seq: string | null; leaf_hash: Buffer | null }>(
    `SELECT l.seq, l.leaf_hash, ${columns} FROM events e LEFT JOIN event_log l ON l.event_id = e.id ORDER BY l.seq`,
  );
  expect(rows.filter((row) => row.seq === null).map((row) => row.id)).toEqual([]);
  expect(rows.map((row) => Number(row.seq))).toEqual(rows.map((_, i) => i));
  const logged = (await owner.query('SELECT count(*)::int AS n FROM event_log')).rows[0].n;
  expect(logged).toBe(rows.length);
  const leaves = rows.map((row) => leafHash(rowToEvent(row)));
  rows.forEach((row, i) => {
    expect(row.leaf_hash!.equals(leaves[i]!), `leaf ${i}`).toBe(true);
  });

  const stored = await owner.query<{ body: string; signature: Buffer }>(
    'SELECT body, signature FROM checkpoints ORDER BY number',
  );
  const checkpoints = stored.rows.map((row) =>
    signedCheckpointSchema.parse({ body: JSON.parse(row.body), signature: row.signature.toString('base64') }),
  );
  checkpoints.forEach((checkpoint, i) => {
    const { body } = checkpoint;
    expect(body.number).toBe(i);
    expect(verifyCheckpointSignature(checkpoint, publicKeyPem), `signature of checkpoint ${i}`).toBe(true);
    expect(body.previousHash).toBe(i === 0 ? null : checkpointHash(checkpoints[i - 1]!.body).toString('hex'));
    if (i > 0) expect(body.treeSize).toBeGreaterThanOrEqual(checkpoints[i - 1]!.body.treeSize);
    expect(body.rootHash, `root of checkpoint ${i}`).toBe(
      rootFromLeaves(leaves.slice(0, body.treeSize)).toString('hex'),
    );
  });
  return { leaves, checkpoints };
}

/**
 * Waits until every transaction that wrote an id so far has ended, so that the next round seals all of them. The
 * horizon is the server's: a transaction another test file holds open, in another database, holds it back too.
 */
export async function waitForHorizon(owner: pg.Pool, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await owner.query<{ past: boolean }>(
      `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint > coalesce(max(write_xid), 0) AS past FROM event_ids`,
    );
    if (rows[0]!.past) return;
    if (Date.now() > deadline) throw new Error('a transaction that wrote ids is still open after the wait');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
