import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { loadOrCreateLocalSigner } from '../shared/adapters/crypto/local-signer.ts';
import { PgLogStore } from '../shared/adapters/postgres/pg-log-store.ts';
import type { LogArchive } from '../shared/core/ports/log-archive.ts';
import type { CheckpointSigner } from '../shared/core/ports/signer.ts';
import { type SealResult, sealRound } from '../shared/core/tamper/seal.ts';
import { rate } from './stats.ts';

/**
 * Gives every stored event its leaf, as the sealer would, untimed set-up for the parts that need a sealed log (the
 * archive exports only sealed months; proofs need leaves). Events loaded with COPY have no event_ids row (the writer
 * claims ids, COPY does not): their ids are claimed first, as migration 008 claimed those stored before it. Then
 * sealing rounds as `pool`'s user (the owner may do what audit_sealer does) until none is left. Returns the signer,
 * whose public key verifies the checkpoints.
 */
export async function sealStored(
  pool: pg.Pool,
): Promise<{ rows: number; rounds: number; rowsPerS: number; signer: CheckpointSigner }> {
  await pool.query(`
    INSERT INTO event_ids (id, occurred_at, digest)
    SELECT e.id, e.occurred_at,
           audit_event_digest(e.entity_type, e.entity_id, e.type, e.severity, e.occurred_at, e.related, e.actor,
                              e.source_channel, e.source_principal, e.payload, e.trace_id, e.span_id, e.causation_id)
      FROM events e WHERE NOT EXISTS (SELECT 1 FROM event_ids i WHERE i.id = e.id)`);
  const dir = await mkdtemp(join(tmpdir(), 'bench-seal-'));
  try {
    const signer = await loadOrCreateLocalSigner(join(dir, 'log-signing-key.pem'));
    const deps = { store: new PgLogStore(pool), signer, archive: discardingArchive(), clock: () => new Date() };
    const started = performance.now();
    let rows = 0;
    let rounds = 0;
    // A round is complete when nothing under the transaction horizon waits; a transaction still open elsewhere
    // holds the horizon back, so the count decides when to stop.
    while ((await unsealed(pool)) > 0) {
      let result: SealResult;
      do {
        result = await sealRound(deps, { logId: 'bench' });
        rows += result.sealed;
        rounds++;
      } while (!result.complete);
      if (rounds > 1000) throw new Error(`still sealing after ${rounds} rounds`);
    }
    return { rows, rounds, rowsPerS: rate(rows, performance.now() - started), signer };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function unsealed(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    'SELECT (SELECT count(*) FROM events) - (SELECT count(*) FROM event_log) AS n',
  );
  return Number(rows[0]!.n);
}

/** The bench keeps no copies of the log: the archive's part is not what it measures. */
function discardingArchive(): LogArchive {
  const keys = new Set<string>();
  return {
    has: async (key) => keys.has(key),
    put: async (key) => void keys.add(key),
  };
}
