import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateLocalSigner } from '../../shared/adapters/crypto/local-signer.ts';
import { FileObjectStore } from '../../shared/adapters/files/file-store.ts';
import { WRITE_NEW_EVENTS_SQL, writeParameters } from '../../shared/adapters/postgres/event-rows.ts';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { PgLogStore } from '../../shared/adapters/postgres/pg-log-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { logArchiveIn } from '../../shared/apps/archive/log-archive.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import type { LogArchive } from '../../shared/core/ports/log-archive.ts';
import type { CheckpointSigner } from '../../shared/core/ports/signer.ts';
import { checkpointKey, leavesKey } from '../../shared/core/tamper/archive-keys.ts';
import { checkpointHash } from '../../shared/core/tamper/checkpoint.ts';
import { EMPTY_ROOT, inclusionProof, verifyInclusion } from '../../shared/core/tamper/merkle.ts';
import { checkpointFile, type SealResult, sealRound } from '../../shared/core/tamper/seal.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventAbout } from '../support/events.ts';
import { expectSoundLog, waitForHorizon } from '../support/sealed-log.ts';
import { asSuperuser, superuserPool } from '../support/superuser.ts';

let db: TestDatabase;
let dir: string;
let sealerPool: pg.Pool;
let writers: pg.Pool[];
let signer: CheckpointSigner;
let publicKey: string;
let files: FileObjectStore;

beforeAll(async () => {
  db = await createTestDatabase('seal');
  dir = await mkdtemp(join(tmpdir(), 'seal-'));
  sealerPool = createPool({ connectionString: db.sealerUrl, max: 4 });
  writers = Array.from({ length: 4 }, () => createPool({ connectionString: db.writerUrl, max: 2 }));
  signer = await loadOrCreateLocalSigner(join(dir, 'log-signing-key.pem'));
  publicKey = await signer.publicKeyPem();
  files = new FileObjectStore(join(dir, 'archive'));
  await db.pool.query(`SELECT audit_ensure_month_partition('2026-05-01')`);
});
afterAll(async () => {
  await Promise.all([sealerPool?.end(), ...(writers ?? []).map((pool) => pool.end())]);
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

const store = () => new PgLogStore(sealerPool);
const seal = (options: { maxEvents?: number; archive?: LogArchive } = {}): Promise<SealResult> =>
  sealRound(
    { store: store(), signer, archive: options.archive ?? logArchiveIn(files), clock: () => new Date() },
    { logId: 'test-log', maxEvents: options.maxEvents ?? 7 },
  );

/** The sealed event ids, in seq order. */
const sealedIds = async () =>
  (await db.pool.query<{ event_id: string }>('SELECT event_id::text FROM event_log ORDER BY seq')).rows.map(
    (row) => row.event_id,
  );
const ids = (events: readonly StoredEvent[]) => events.map((event) => event.id);

/**
 * Seals until the log holds `count` events. Roles are the server's and so is the horizon: a transaction another test
 * file holds open on the same server (in another database) holds the sealer back too, for as long as it lasts.
 */
async function sealUntil(count: number): Promise<SealResult> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const result = await seal();
    if (result.checkpoint.body.treeSize >= count || Date.now() > deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A writer transaction that has written `events` (WRITE_NEW_EVENTS_SQL, as the writer's store runs it) and is open. */
async function openWrite(events: readonly StoredEvent[]) {
  const client = await writers[3]!.connect();
  await client.query('BEGIN');
  await client.query(WRITE_NEW_EVENTS_SQL, writeParameters(events));
  let open = true;
  return {
    /** Commits or rolls back; a second call does nothing. */
    end: async (how: 'COMMIT' | 'ROLLBACK') => {
      if (!open) return;
      open = false;
      try {
        await client.query(how);
      } finally {
        client.release();
      }
    },
  };
}

const batch = (n: number, entity = 'robot:r-1') => Array.from({ length: n }, () => eventAbout(entity));

describe('a sealing round', () => {
  it('writes a checkpoint also when no event came: the same tree, the next number, chained', async () => {
    const first = await seal();
    expect(first.sealed).toBe(0);
    expect(first.checkpoint.body).toMatchObject({
      format: 'fleet-audit-trail/checkpoint/v1',
      logId: 'test-log',
      number: 0,
      treeSize: 0,
      rootHash: EMPTY_ROOT.toString('hex'),
      previousHash: null,
      keyId: signer.keyId,
    });
    const second = await seal();
    expect(second.checkpoint.body).toMatchObject({
      number: 1,
      treeSize: 0,
      rootHash: EMPTY_ROOT.toString('hex'),
      previousHash: checkpointHash(first.checkpoint.body).toString('hex'),
    });
    expect(second.lagSeconds).toBe(0);
    await expectSoundLog(db.pool, publicKey);
  });

  it('seals committed events in chunks into one checkpoint, and reports how late the oldest unsealed one is', async () => {
    const events = batch(30);
    await new PgEventStore(writers[0]!).insert(events);
    await waitForHorizon(db.pool);
    const result = await seal({ maxEvents: 7 });
    expect(result).toMatchObject({ sealed: 30, complete: true, lagSeconds: 0 });
    expect(result.checkpoint.body).toMatchObject({ number: 2, treeSize: 30 });
    expect(await sealedIds()).toEqual(ids(events));
    await expectSoundLog(db.pool, publicKey);
  });

  it('a NodeReader over the log: inclusion proofs from the stored leaves and tile nodes verify against the root', async () => {
    // Past 256 leaves, so that a level-8 tile node is stored and used.
    await new PgEventStore(writers[0]!).insert(batch(300, 'sensor:s-1'));
    await waitForHorizon(db.pool);
    const { checkpoint } = await seal({ maxEvents: 1000 });
    expect(checkpoint.body.treeSize).toBe(330);
    const { treeSize, rootHash } = checkpoint.body;
    expect((await db.pool.query('SELECT level, index FROM log_nodes')).rows).toEqual([{ level: 8, index: '0' }]);
    const reader = store();
    for (const index of [0, 29, 255, 256, treeSize - 1]) {
      const proof = await inclusionProof(reader, index, treeSize);
      const leaf = (await reader.leaves(index, index + 1))[0]!;
      expect(verifyInclusion(leaf, index, treeSize, proof, Buffer.from(rootHash, 'hex'))).toBe(true);
    }
    const [first] = await sealedIds();
    expect(await reader.eventLogEntry(first!)).toEqual({ seq: 0, leafHash: (await reader.leaves(0, 1))[0] });
    await expect(reader.leaves(treeSize - 1, treeSize + 1)).rejects.toThrow(/holds 1 of the 2 leaves/);
  });
});

describe('a writer transaction held open across a seal', () => {
  /**
   * Commits `before`, opens a transaction writing `held`, commits `after` from other writers (higher transaction ids),
   * and seals: only `before` is sealed, as long as the transaction stays open. Returns what was sealed until then.
   */
  async function sealAcrossOpenWrite(held: StoredEvent[], after: StoredEvent[][]) {
    const before = batch(3);
    await new PgEventStore(writers[0]!).insert(before);
    await waitForHorizon(db.pool);
    const open = await openWrite(held);
    try {
      await Promise.all(after.map((events, i) => new PgEventStore(writers[i]!).insert(events)));
      const sealedBefore = (await sealedIds()).length;
      const result = await seal();
      const sealed = await sealedIds();
      expect(sealed.slice(sealedBefore)).toEqual(ids(before));
      // The committed events waiting behind it are what the lag measures.
      expect(result.lagSeconds).toBeGreaterThan(0);
      // Rounds while it stays open add nothing, and still write their checkpoints.
      const again = await seal();
      expect(again.sealed).toBe(0);
      expect(again.checkpoint.body.number).toBe(result.checkpoint.body.number + 1);
      expect(await sealedIds()).toEqual(sealed);
      return { sealed, open };
    } catch (error) {
      await open.end('ROLLBACK');
      throw error;
    }
  }

  it('holds back its events and every later one until it commits; then all are sealed, dense, once each', async () => {
    const held = batch(4, 'robot:r-2');
    const after = [batch(5, 'robot:r-3'), batch(5, 'robot:r-4')];
    const { sealed, open } = await sealAcrossOpenWrite(held, after);
    await open.end('COMMIT');
    await sealUntil(sealed.length + 14);
    const now = (await sealedIds()).slice(sealed.length);
    // In transaction order: the held transaction began first, so its events come first, in id order.
    expect(now.slice(0, 4)).toEqual(ids(held));
    expect(new Set(now.slice(4))).toEqual(new Set(after.flatMap(ids)));
    await expectSoundLog(db.pool, publicKey);
  });

  it('rolled back, its events never appear, and the later ones are sealed without a gap', async () => {
    const held = batch(4, 'robot:r-5');
    const after = [batch(6, 'robot:r-6')];
    const { sealed, open } = await sealAcrossOpenWrite(held, after);
    await open.end('ROLLBACK');
    await sealUntil(sealed.length + 6);
    expect((await sealedIds()).slice(sealed.length)).toEqual(ids(after[0]!));
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM event_log WHERE event_id = ANY($1::uuid[])', [
      ids(held),
    ]);
    expect(rows[0].n).toBe(0);
    await expectSoundLog(db.pool, publicKey);
  });
});

describe('concurrent writers while sealers run', () => {
  it('every stored event gets exactly one seq, dense, and every checkpoint holds', async () => {
    let writing = true;
    const sealerLoop = async (pool: pg.Pool) => {
      const rounds: SealResult[] = [];
      while (writing) {
        rounds.push(
          await sealRound(
            { store: new PgLogStore(pool), signer, archive: logArchiveIn(files), clock: () => new Date() },
            { logId: 'test-log', maxEvents: 25 },
          ),
        );
      }
      return rounds;
    };
    // Two sealers on separate connections: the round's lock makes them take turns.
    const otherSealer = createPool({ connectionString: db.sealerUrl, max: 2 });
    const sealers = [sealerLoop(sealerPool), sealerLoop(otherSealer)];
    const written = await Promise.all(
      writers.map(async (pool, w) => {
        const writer = new PgEventStore(pool);
        const mine: StoredEvent[] = [];
        for (let b = 0; b < 25; b++) {
          const events = batch(12, `sensor:w-${w}`);
          // Every other batch resends an event already stored: the writer's fallback statement, WRITE_EVENTS_SQL.
          const resend = b % 2 === 1 ? [mine.at(-1)!] : [];
          await writer.insert([...resend, ...events]);
          mine.push(...events);
        }
        return mine;
      }),
    );
    writing = false;
    const rounds = (await Promise.all(sealers)).flat();
    await otherSealer.end();
    const stored = Number((await db.pool.query('SELECT count(*) AS n FROM events')).rows[0].n);
    await sealUntil(stored);
    expect(rounds.length).toBeGreaterThan(2);
    const { leaves } = await expectSoundLog(db.pool, publicKey);
    expect(leaves).toHaveLength(stored);
    const sealed = new Set(await sealedIds());
    for (const id of written.flat().map((event) => event.id)) expect(sealed.has(id)).toBe(true);
  });
});

describe('the archive copies', () => {
  const fileOf = (key: string) => readFile(files.pathOf(key));

  it('hold every checkpoint as signed and the leaf hashes of every round that sealed some', async () => {
    const { leaves, checkpoints } = await expectSoundLog(db.pool, publicKey);
    const copied: Buffer[] = [];
    for (const [i, checkpoint] of checkpoints.entries()) {
      expect(JSON.parse((await fileOf(checkpointKey(i))).toString('utf8'))).toEqual(checkpoint);
      const from = i === 0 ? 0 : checkpoints[i - 1]!.body.treeSize;
      if (checkpoint.body.treeSize > from) copied.push(await fileOf(leavesKey(from)));
    }
    expect(Buffer.concat(copied).equals(Buffer.concat(leaves))).toBe(true);
  });

  it('a copy that failed, or went missing, is written again by a later round', async () => {
    await new PgEventStore(writers[0]!).insert(batch(3, 'robot:r-7'));
    await waitForHorizon(db.pool);
    // Unreachable for writes; for reads it holds every copy but the round's own (which would stop the round).
    const upcoming = checkpointKey(((await store().latest())?.body.number ?? -1) + 1);
    const failing: LogArchive = {
      has: async (key) => key !== upcoming,
      put: async (key) => {
        throw new Error(`bucket unreachable for ${key}`);
      },
    };
    const failed = await seal({ archive: failing });
    const { number } = failed.checkpoint.body;
    const lost = [checkpointKey(number), leavesKey(failed.checkpoint.body.treeSize - 3)];
    expect(failed.archive).toEqual({
      written: [],
      repaired: [],
      failed: lost.map((key) => ({ key, reason: `bucket unreachable for ${key}` })),
    });
    // Committed all the same: the next round builds on it.
    const next = await seal();
    expect(next.checkpoint.body.number).toBe(number + 1);
    expect(next.archive.repaired).toEqual(lost);
    expect(JSON.parse((await fileOf(lost[0]!)).toString('utf8'))).toEqual(failed.checkpoint);
    expect(await fileOf(lost[1]!)).toHaveLength(3 * 32);

    // Gone from the archive later (deleted by hand): found missing, and copied again.
    await rm(files.pathOf(checkpointKey(number - 1)));
    const after = await seal();
    expect(after.archive.repaired).toEqual([checkpointKey(number - 1)]);
    expect(
      (await fileOf(checkpointKey(number - 1))).equals(
        checkpointFile((await store().checkpoints(number - 1, number))[0]!),
      ),
    ).toBe(true);
  });

  it('refuses to seal over archive copies the database no longer has (a cut tail), and leaves them as they are', async () => {
    await new PgEventStore(writers[0]!).insert([eventAbout('robot:cut-1')]);
    await waitForHorizon(db.pool);
    const { checkpoint } = await seal();
    const { number } = checkpoint.body;
    const copyPath = join(dir, 'archive', checkpointKey(number));
    const copy = await readFile(copyPath, 'utf8');
    const admin = superuserPool(db.name);
    try {
      await asSuperuser(admin, (client) => client.query('DELETE FROM checkpoints WHERE number = $1', [number]));
    } finally {
      await admin.end();
    }
    await expect(seal()).rejects.toThrow(`the archive already holds checkpoint ${number}, which the log in PostgreSQL`);
    await expect(seal()).rejects.toThrow(/Nothing is sealed/);
    expect(await readFile(copyPath, 'utf8')).toBe(copy);
    expect((await store().latest())?.body.number).toBe(number - 1);
  });
});
