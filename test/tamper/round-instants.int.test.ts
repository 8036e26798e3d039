import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateLocalSigner } from '../../shared/adapters/crypto/local-signer.ts';
import { FileObjectStore } from '../../shared/adapters/files/file-store.ts';
import { EVENT_COLUMNS, rowToEvent } from '../../shared/adapters/postgres/event-rows.ts';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { PgLogStore, pgInstant } from '../../shared/adapters/postgres/pg-log-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { logArchiveIn } from '../../shared/apps/archive/log-archive.ts';
import { leafHash } from '../../shared/core/tamper/leaf.ts';
import { sealRound } from '../../shared/core/tamper/seal.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventAbout } from '../support/events.ts';
import { waitForHorizon } from '../support/sealed-log.ts';

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await createTestDatabase('round-instants');
  dir = await mkdtemp(join(tmpdir(), 'round-instants-'));
});
afterAll(async () => {
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('the instants a sealing round reads as text (pgInstant)', () => {
  it("are toISOString() of node-postgres's own parse, for every spelling PostgreSQL sends in UTC/ISO", async () => {
    const client = await db.pool.connect();
    try {
      await client.query("SET TimeZone = 'UTC'; SET DateStyle = 'ISO'");
      // Whole seconds, milliseconds and microseconds, from year 1000 to 9999: the forms `timestamptz::text` takes.
      const { rows } = await client.query<{ t: string }>(
        `SELECT (timestamptz '1000-01-01 00:00:00+00' + random() * (timestamptz '9999-12-31+00' - timestamptz '1000-01-01+00'))::text AS t
           FROM generate_series(1, 700)
         UNION ALL SELECT date_trunc('second', now() - random() * interval '3000 days')::text FROM generate_series(1, 300)
         UNION ALL SELECT date_trunc('milliseconds', now() - random() * interval '3000 days')::text FROM generate_series(1, 1000)`,
      );
      const parse = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (text: string) => Date;
      const forms = new Set(rows.map(({ t }) => t.replace(/\d/g, '9')));
      expect(forms.size).toBeGreaterThanOrEqual(3);
      for (const { t } of rows) expect(pgInstant(t), t).toBe(parse(t).toISOString());
    } finally {
      client.release(true);
    }
  });

  it("seal leaves equal to the event read the default way, even when the database's TimeZone and DateStyle differ", async () => {
    await db.pool.query(`SELECT audit_ensure_month_partition('2026-05-01')`);
    await db.pool.query(`ALTER DATABASE ${pg.escapeIdentifier(db.name)} SET TimeZone = 'Asia/Kolkata'`);
    await db.pool.query(`ALTER DATABASE ${pg.escapeIdentifier(db.name)} SET DateStyle = 'SQL, DMY'`);
    const writer = createPool({ connectionString: db.writerUrl, max: 1 });
    const sealer = createPool({ connectionString: db.sealerUrl, max: 1 });
    try {
      const events = [
        eventAbout('robot:r-1', { occurredAt: '2026-05-10T23:59:59.999Z', receivedAt: '2026-05-11T00:00:00.000Z' }),
        eventAbout('robot:r-2', { occurredAt: '2026-05-10T12:00:00.000Z', receivedAt: '2026-05-10T12:00:00.5Z' }),
      ];
      await new PgEventStore(writer).insert(events);
      await waitForHorizon(db.pool);
      const deps = {
        store: new PgLogStore(sealer),
        signer: await loadOrCreateLocalSigner(join(dir, 'key.pem')),
        archive: logArchiveIn(new FileObjectStore(join(dir, 'archive'))),
        clock: () => new Date(),
      };
      const round = await sealRound(deps, { logId: 'test', maxEvents: 10 });
      expect(round.sealed).toBe(2);
      const stored = await db.pool.query(`SELECT ${EVENT_COLUMNS} FROM events ORDER BY occurred_at DESC`);
      const logged = await db.pool.query<{ event_id: string; leaf_hash: Buffer }>(
        'SELECT event_id::text, leaf_hash FROM event_log',
      );
      const leaves = new Map(logged.rows.map((row) => [row.event_id, row.leaf_hash.toString('hex')]));
      for (const row of stored.rows) expect(leaves.get(row.id)).toBe(leafHash(rowToEvent(row)).toString('hex'));
    } finally {
      await Promise.all([writer.end(), sealer.end()]);
    }
  });
});
