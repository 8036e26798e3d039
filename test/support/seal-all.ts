import type pg from 'pg';
import { PgLogStore } from '../../shared/adapters/postgres/pg-log-store.ts';
import { logArchiveIn } from '../../shared/apps/archive/log-archive.ts';
import type { LogArchive } from '../../shared/core/ports/log-archive.ts';
import type { ObjectStore } from '../../shared/core/ports/object-store.ts';
import type { CheckpointSigner } from '../../shared/core/ports/signer.ts';
import { type SealResult, sealRound } from '../../shared/core/tamper/seal.ts';
import { waitForHorizon } from './sealed-log.ts';
import { testSigner } from './test-signer.ts';

/** One key per database pool, so that every checkpoint of a test's log is signed alike. */
const signers = new WeakMap<pg.Pool, CheckpointSigner & { pem: string }>();
/** Where the checkpoints of a log go when the test names no archive: memory, one per pool. */
const memoryArchives = new WeakMap<pg.Pool, LogArchive>();

function memoryArchive(pool: pg.Pool): LogArchive {
  let archive = memoryArchives.get(pool);
  if (!archive) {
    const objects = new Map<string, Buffer>();
    archive = { has: async (key) => objects.has(key), put: async (key, bytes) => void objects.set(key, bytes) };
    memoryArchives.set(pool, archive);
  }
  return archive;
}

/** The signer sealAll uses for `pool`: its public key verifies that log's checkpoints. */
export function signerOf(pool: pg.Pool): CheckpointSigner & { pem: string } {
  const signer = signers.get(pool) ?? testSigner();
  signers.set(pool, signer);
  return signer;
}

/**
 * Seals every event stored so far, as the sealer would (sealRound: the owner may do what audit_sealer does), its
 * checkpoint copied to `archive` (default: memory). Waits for the server's transaction horizon first, and
 * seals again until no stored event is left out: a transaction of another test file may hold the horizon back.
 */
export async function sealAll(pool: pg.Pool, archive?: ObjectStore): Promise<SealResult> {
  const deps = {
    store: new PgLogStore(pool),
    signer: signerOf(pool),
    archive: archive ? logArchiveIn(archive) : memoryArchive(pool),
    clock: () => new Date(),
  };
  for (let attempt = 1; ; attempt++) {
    await waitForHorizon(pool);
    const result = await sealRound(deps, { logId: 'test-log' });
    if ((await unsealedCount(pool)) === 0) return result;
    if (attempt === 5) throw new Error('events are still unsealed after 5 rounds');
  }
}

/** Stored events without a leaf in event_log. */
export async function unsealedCount(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM events e WHERE NOT EXISTS (SELECT 1 FROM event_log l WHERE l.event_id = e.id)',
  );
  return rows[0]!.n;
}
