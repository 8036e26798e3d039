import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { setLoginPasswords } from '../../shared/adapters/postgres/login-users.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { TEST_OWNER } from '../support/managed-owner.ts';

/**
 * What the deployed system relies on, checked under the cloud's constraints: the tests' owner is made as Aurora makes
 * its master user, and the writer and reader sessions log in as their own users, with nothing to escalate to.
 */
describe('database users', () => {
  let db: TestDatabase;
  let writer: pg.Pool;
  let reader: pg.Pool;
  let sealer: pg.Pool;

  beforeAll(async () => {
    db = await createTestDatabase('login_users');
    writer = createPool({ connectionString: db.writerUrl, max: 1 });
    reader = createPool({ connectionString: db.readerUrl, max: 1 });
    sealer = createPool({ connectionString: db.sealerUrl, max: 1 });
  });
  afterAll(async () => {
    await Promise.all([writer?.end(), reader?.end(), sealer?.end()]);
    await db?.drop();
  });

  it('the suite runs as a non-superuser owner with CREATEROLE and CREATEDB, as on Aurora', async () => {
    const { rows } = await db.pool.query(
      `SELECT current_user AS user, r.rolsuper, r.rolcreaterole, r.rolcreatedb, d.datdba::regrole::text AS owner
         FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database()`,
    );
    expect(rows[0]).toEqual({
      user: TEST_OWNER,
      rolsuper: false,
      rolcreaterole: true,
      rolcreatedb: true,
      owner: TEST_OWNER,
    });
    expect(new URL(inject('ownerServerUrl')).username).toBe(TEST_OWNER);
  });

  it('setting the passwords from many sessions at once succeeds (roles are server-wide: stacks start together)', async () => {
    const passwords = inject('loginPasswords');
    const owners = Array.from({ length: 8 }, () => createPool({ connectionString: db.url, max: 1 }));
    try {
      for (let round = 0; round < 5; round++)
        await Promise.all(owners.map((owner) => setLoginPasswords(owner, passwords)));
    } finally {
      await Promise.all(owners.map((owner) => owner.end()));
    }
    expect((await writer.query('SELECT current_user AS user')).rows[0].user).toBe('audit_writer');
  });

  it('the owner is no member of the login users: it cannot act as them, nor they as it', async () => {
    const { rows } = await db.pool.query(
      `SELECT pg_has_role($1, 'audit_writer', 'USAGE') AS owner_uses_writer,
              pg_has_role($1, 'audit_reader', 'USAGE') AS owner_uses_reader,
              pg_has_role($1, 'audit_sealer', 'USAGE') AS owner_uses_sealer,
              pg_has_role('audit_writer', $1, 'USAGE') AS writer_uses_owner,
              pg_has_role('audit_reader', $1, 'USAGE') AS reader_uses_owner,
              pg_has_role('audit_sealer', $1, 'USAGE') AS sealer_uses_owner`,
      [TEST_OWNER],
    );
    expect(rows[0]).toEqual({
      owner_uses_writer: false,
      owner_uses_reader: false,
      owner_uses_sealer: false,
      writer_uses_owner: false,
      reader_uses_owner: false,
      sealer_uses_owner: false,
    });
  });

  describe.each([
    ['audit_writer', () => writer, 'audit_reader'],
    ['audit_reader', () => reader, 'audit_writer'],
    ['audit_sealer', () => sealer, 'audit_writer'],
  ])('a session logged in as %s', (user, pool, other) => {
    it('is that user, and RESET ROLE leaves it so', async () => {
      const client = await pool().connect();
      try {
        await client.query('RESET ROLE');
        await client.query('RESET SESSION AUTHORIZATION');
        const { rows } = await client.query('SELECT current_user AS current, session_user AS session');
        expect(rows[0]).toEqual({ current: user, session: user });
      } finally {
        client.release();
      }
    });

    it.each([
      ['SET ROLE to the owner', `SET ROLE ${TEST_OWNER}`],
      ['SET ROLE to the other login user', `SET ROLE ${other}`],
      ['SET ROLE to a superuser', 'SET ROLE postgres'],
      ['SET SESSION AUTHORIZATION', `SET SESSION AUTHORIZATION ${TEST_OWNER}`],
      ['switch triggers off for the session', 'SET session_replication_role = replica'],
      ['disable the append-only trigger', 'ALTER TABLE events DISABLE TRIGGER events_append_only'],
      ['disable every trigger of a partition', 'ALTER TABLE events_2026_05 DISABLE TRIGGER ALL'],
      ['drop the append-only trigger', 'DROP TRIGGER events_append_only ON events'],
      [
        'replace the trigger function',
        'CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE sql AS $$ SELECT NULL $$',
      ],
      ['detach a month', 'ALTER TABLE events DETACH PARTITION events_2026_05'],
      ['forget an id', 'DELETE FROM event_ids'],
      ['rewrite what an id names', 'UPDATE event_ids SET digest = sha256(digest)'],
      ['empty the ids', 'TRUNCATE event_ids'],
      ['disable the ids trigger', 'ALTER TABLE event_ids DISABLE TRIGGER event_ids_append_only'],
      ['grant itself more', `GRANT ${TEST_OWNER} TO ${user}`],
      ['create a role', 'CREATE ROLE intruder LOGIN'],
      ['create a temporary table', 'CREATE TEMP TABLE shadow (id int)'],
    ])('may not %s', async (_, sql) => {
      await db.pool.query(`SELECT audit_ensure_month_partition('2026-05-01')`);
      const error = await pool()
        .query(sql)
        .then(
          () => null,
          (reason: unknown) => reason,
        );
      expect(error).toBeInstanceOf(pg.DatabaseError);
      // 42501 insufficient_privilege; 42704 undefined_object for a role the server does not have (postgres on RDS).
      expect(['42501', '42704']).toContain((error as pg.DatabaseError).code);
    });
  });

  it('the writer creates partitions for months up to the current one only', async () => {
    const now = new Date();
    const month = (offset: number) =>
      new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1)).toISOString().slice(0, 10);
    const ensure = (day: string) => writer.query('SELECT audit_ensure_ingest_partition($1::date) AS created', [day]);
    await expect(ensure(month(0))).resolves.toBeDefined();
    await expect(ensure('2003-02-01')).resolves.toMatchObject({ rows: [{ created: true }] });
    for (const refused of [month(2), month(12), '9999-12-01']) {
      await expect(ensure(refused)).rejects.toMatchObject({ code: '22023', message: /is after the current month/ });
    }
    await expect(ensure('1999-12-01')).rejects.toMatchObject({
      code: '22023',
      message: /outside the supported months/,
    });
    await expect(ensure('2026-05-17')).rejects.toMatchObject({
      code: '22023',
      message: /not the first day of a month/,
    });
  });
});
