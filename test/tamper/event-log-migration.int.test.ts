import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WRITE_NEW_EVENTS_SQL, writeParameters } from '../../shared/adapters/postgres/event-rows.ts';
import { migrate } from '../../shared/adapters/postgres/migrate.ts';
import { MIGRATIONS } from '../../shared/adapters/postgres/migrations/index.ts';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventAbout } from '../support/events.ts';

const BEFORE_LOG = MIGRATIONS.findIndex((migration) => migration.name === '010_event_log');

/** Migration 010 on a table that already holds ids: what it changes, what it must not, and who may do what after. */
describe('migration 010_event_log', () => {
  let db: TestDatabase;
  let writer: pg.Pool;
  let reader: pg.Pool;
  let sealer: pg.Pool;
  const earlier = [eventAbout('robot:r-1'), eventAbout('sensor:s-1')];

  beforeAll(async () => {
    db = await createTestDatabase('event_log_migration', { migrated: false });
    await migrate(db.pool, { migrations: MIGRATIONS.slice(0, BEFORE_LOG) });
    writer = createPool({ connectionString: db.writerUrl, max: 2 });
    reader = createPool({ connectionString: db.readerUrl, max: 1 });
    sealer = createPool({ connectionString: db.sealerUrl, max: 1 });
    await new PgEventStore(writer).insert(earlier);
  });
  afterAll(async () => {
    await Promise.all([writer?.end(), reader?.end(), sealer?.end()]);
    await db?.drop();
  });

  const fileOf = async () =>
    (await db.pool.query(`SELECT pg_relation_filenode('event_ids')::text AS node`)).rows[0].node as string;

  it('adds write_xid without rewriting event_ids, past its append-only triggers: earlier rows read 0', async () => {
    const before = await fileOf();
    expect(await migrate(db.pool, { migrations: MIGRATIONS.slice(0, BEFORE_LOG + 1) })).toEqual({
      applied: ['010_event_log'],
    });
    expect(await fileOf()).toBe(before);
    const { rows } = await db.pool.query('SELECT id::text, write_xid::text FROM event_ids ORDER BY id');
    expect(rows).toEqual(earlier.map((event) => ({ id: event.id, write_xid: '0' })));
    const { rows: index } = await db.pool.query(
      `SELECT am.amname, c.reloptions FROM pg_class c JOIN pg_am am ON am.oid = c.relam
        WHERE c.relname = 'event_ids_write_xid_brin'`,
    );
    expect(index).toEqual([{ amname: 'brin', reloptions: ['autosummarize=on'] }]);
  });

  it("the writer's unchanged statement stamps each id with the writing transaction's id", async () => {
    const batch = [eventAbout('robot:r-2'), eventAbout('robot:r-3')];
    const client = await writer.connect();
    let xid: string;
    try {
      await client.query('BEGIN');
      await db.pool.query(`SELECT audit_ensure_month_partition('2026-05-01')`);
      await client.query(WRITE_NEW_EVENTS_SQL, writeParameters(batch));
      xid = (await client.query('SELECT pg_current_xact_id()::text AS xid')).rows[0].xid;
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const { rows } = await db.pool.query('SELECT write_xid::text FROM event_ids WHERE id = ANY($1::uuid[])', [
      batch.map((event) => event.id),
    ]);
    expect(rows).toEqual([{ write_xid: xid }, { write_xid: xid }]);
    expect(Number(xid)).toBeGreaterThan(0);
  });

  it('the writer cannot choose write_xid (a low one would hide its row below the sealer)', async () => {
    const event = eventAbout('robot:r-4');
    await expect(
      writer.query(`INSERT INTO event_ids (id, occurred_at, digest, write_xid) VALUES ($1, $2, sha256('x'), 0)`, [
        event.id,
        event.occurredAt,
      ]),
    ).rejects.toMatchObject({ code: '42501' });
  });

  describe('the log tables are append-only, also for the owner', () => {
    beforeAll(async () => {
      const hash = Buffer.alloc(32, 1);
      await db.pool.query(`INSERT INTO event_log VALUES (0, $1, $2, $3)`, [
        earlier[0]!.id,
        earlier[0]!.occurredAt,
        hash,
      ]);
      await db.pool.query('INSERT INTO log_nodes VALUES (8, 0, $1)', [hash]);
      await db.pool.query(
        `INSERT INTO checkpoints VALUES (0, 1, $1, '{}', '\\x00', NULL, NULL, ARRAY[$1::bytea], now())`,
        [hash],
      );
    });

    it.each([
      ['event_log', 'UPDATE event_log SET seq = 7'],
      ['event_log', 'DELETE FROM event_log'],
      ['log_nodes', 'UPDATE log_nodes SET hash = sha256(hash)'],
      ['log_nodes', 'DELETE FROM log_nodes'],
      ['checkpoints', 'UPDATE checkpoints SET tree_size = 0'],
      ['checkpoints', 'DELETE FROM checkpoints'],
    ])('%s: %s is refused by its trigger', async (table, sql) => {
      await expect(db.pool.query(sql)).rejects.toMatchObject({
        code: '42501',
        message: expect.stringMatching(
          new RegExp(`the event log is append-only: (UPDATE|DELETE) of a row of ${table}`),
        ),
      });
    });

    it.each(['event_log', 'log_nodes', 'checkpoints'])('TRUNCATE %s is refused by its trigger', async (table) => {
      await expect(db.pool.query(`TRUNCATE ${table}`)).rejects.toMatchObject({
        code: '42501',
        message: `the event log is append-only: TRUNCATE of ${table} is not allowed`,
      });
      expect((await db.pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBe(1);
    });
  });

  describe('who may touch the log', () => {
    it('the sealer logs in as itself, reads events and ids, and appends to the log', async () => {
      expect((await sealer.query('SELECT current_user AS user')).rows[0].user).toBe('audit_sealer');
      expect((await sealer.query('SELECT count(*)::int AS n FROM events')).rows[0].n).toBe(4);
      expect((await sealer.query('SELECT count(*)::int AS n FROM event_ids')).rows[0].n).toBe(4);
      await sealer.query('INSERT INTO log_nodes VALUES (16, 0, $1)', [Buffer.alloc(32, 2)]);
    });

    it.each([
      ['write an event', `INSERT INTO events SELECT * FROM events LIMIT 1`],
      ['claim an id', `INSERT INTO event_ids (id, occurred_at, digest) VALUES (gen_random_uuid(), now(), sha256('x'))`],
      ['change a leaf (no UPDATE grant)', 'UPDATE event_log SET seq = 7'],
      ['remove a checkpoint (no DELETE grant)', 'DELETE FROM checkpoints'],
      ['empty the log (no TRUNCATE grant)', 'TRUNCATE event_log'],
      ['switch triggers off', 'SET session_replication_role = replica'],
      ['disable a log trigger', 'ALTER TABLE event_log DISABLE TRIGGER event_log_append_only'],
    ])('the sealer may not %s', async (_, sql) => {
      await expect(sealer.query(sql)).rejects.toMatchObject({ code: '42501' });
    });

    it.each([
      ['append a leaf', `INSERT INTO event_log VALUES (9, gen_random_uuid(), now(), sha256('x'))`],
      ['add a node', `INSERT INTO log_nodes VALUES (24, 0, sha256('x'))`],
      [
        'add a checkpoint',
        `INSERT INTO checkpoints SELECT 9, tree_size, root_hash, body, signature, sealed_xid, sealed_id, frontier, issued_at FROM checkpoints`,
      ],
      ['read the log', 'SELECT * FROM event_log'],
    ])('the writer may not %s', async (_, sql) => {
      await expect(writer.query(sql)).rejects.toMatchObject({ code: '42501' });
    });

    it('the reader reads the log (proofs) and writes none of it', async () => {
      for (const table of ['event_log', 'log_nodes', 'checkpoints'])
        expect((await reader.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBeGreaterThan(0);
      await expect(reader.query(`INSERT INTO log_nodes VALUES (32, 0, sha256('x'))`)).rejects.toMatchObject({
        code: '42501',
      });
    });
  });
});
