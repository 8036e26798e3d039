import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateLocalSigner } from '../../shared/adapters/crypto/local-signer.ts';
import { FileObjectStore } from '../../shared/adapters/files/file-store.ts';
import { migrate } from '../../shared/adapters/postgres/migrate.ts';
import { MIGRATIONS } from '../../shared/adapters/postgres/migrations/index.ts';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { PgLogStore } from '../../shared/adapters/postgres/pg-log-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { logArchiveIn } from '../../shared/apps/archive/log-archive.ts';
import { sealRound } from '../../shared/core/tamper/seal.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventAbout } from '../support/events.ts';
import { expectSoundLog, waitForHorizon } from '../support/sealed-log.ts';

/**
 * A deployment that stored events before the log existed: their ids read write_xid 0 and are sealed first, in id
 * order; an id whose month was archived (and dropped) before has no event left, and is passed over.
 */
describe('sealing the events stored before migration 010', () => {
  let db: TestDatabase;
  let dir: string;
  let writer: pg.Pool;
  let sealer: pg.Pool;

  beforeAll(async () => {
    db = await createTestDatabase('seal_legacy', { migrated: false });
    dir = await mkdtemp(join(tmpdir(), 'seal-legacy-'));
    await migrate(db.pool, { migrations: MIGRATIONS.filter((migration) => migration.name < '010') });
    writer = createPool({ connectionString: db.writerUrl, max: 1 });
    sealer = createPool({ connectionString: db.sealerUrl, max: 2 });
  });
  afterAll(async () => {
    await Promise.all([writer?.end(), sealer?.end()]);
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('seals the earlier ids first in id order, passes over the archived ones, then the later ones', async () => {
    // Alternating months, so that chunks mix ids with and without an event.
    const earlier = Array.from({ length: 10 }, (_, i) =>
      eventAbout('robot:r-1', { occurredAt: i % 2 === 0 ? '2025-01-10T00:00:00.000Z' : '2026-05-10T00:00:00.000Z' }),
    );
    await new PgEventStore(writer).insert(earlier);
    // What maintenance does to an expired month once archived.
    await db.pool.query('ALTER TABLE events DETACH PARTITION events_2025_01');
    await db.pool.query('DROP TABLE events_2025_01');
    await migrate(db.pool);
    const later = [eventAbout('robot:r-2'), eventAbout('robot:r-2')];
    await new PgEventStore(writer).insert(later);
    await waitForHorizon(db.pool);

    const signer = await loadOrCreateLocalSigner(join(dir, 'key.pem'));
    const result = await sealRound(
      {
        store: new PgLogStore(sealer),
        signer,
        archive: logArchiveIn(new FileObjectStore(join(dir, 'archive'))),
        clock: () => new Date(),
      },
      // Chunks of 2: some hold only archived ids, and must not end the round.
      { logId: 'legacy', maxEvents: 2 },
    );
    expect(result).toMatchObject({ sealed: 7, complete: true });
    const { rows } = await db.pool.query('SELECT event_id::text AS id FROM event_log ORDER BY seq');
    expect(rows.map((row) => row.id)).toEqual([...earlier.filter((_, i) => i % 2 === 1), ...later].map((e) => e.id));
    await expectSoundLog(db.pool, await signer.publicKeyPem());
  });
});
