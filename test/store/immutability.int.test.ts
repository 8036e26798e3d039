import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { storedEvent } from '../support/events.ts';

describe('append-only events', () => {
  let db: TestDatabase;
  let writer: pg.Pool;
  let reader: pg.Pool;
  const stored = storedEvent({ occurredAt: '2026-04-01T08:00:00.000Z' });

  beforeAll(async () => {
    db = await createTestDatabase('immutability');
    writer = createPool({ connectionString: db.writerUrl, max: 2 });
    reader = createPool({ connectionString: db.readerUrl, max: 2 });
    await new PgEventStore(db.pool).insert([stored]);
  });
  afterAll(async () => {
    await Promise.all([writer?.end(), reader?.end()]);
    await db?.drop();
  });

  describe('as the owner', () => {
    it('refuses UPDATE and DELETE with the trigger message', async () => {
      await expect(
        db.pool.query(`UPDATE events SET type = 'robot.offline' WHERE id = $1`, [stored.id]),
      ).rejects.toThrow(`events are append-only: UPDATE of event ${stored.id} is not allowed`);
      await expect(db.pool.query('DELETE FROM events WHERE id = $1', [stored.id])).rejects.toThrow(
        `events are append-only: DELETE of event ${stored.id} is not allowed`,
      );
      await expect(db.pool.query('DELETE FROM events_2026_04')).rejects.toThrow(/events are append-only: DELETE/);
    });

    it('refuses TRUNCATE of events and of a partition', async () => {
      await expect(db.pool.query('TRUNCATE events')).rejects.toThrow(
        /events are append-only: TRUNCATE of events is not allowed/,
      );
      await expect(db.pool.query('TRUNCATE events_2026_04')).rejects.toThrow(
        /events are append-only: TRUNCATE of events_2026_04 is not allowed/,
      );
      expect((await db.pool.query('SELECT count(*)::int AS n FROM events')).rows[0].n).toBe(1);
    });
  });

  describe('as audit_writer', () => {
    it('runs with only the writer role', async () => {
      expect((await writer.query('SELECT current_user AS role')).rows[0].role).toBe('audit_writer');
    });

    it('inserts, also into a month without a partition, through the store', async () => {
      const store = new PgEventStore(writer);
      expect(await store.insert([storedEvent({ occurredAt: '2026-04-02T00:00:00.000Z' })])).toHaveLength(1);
      expect(await store.insert([storedEvent({ occurredAt: '2011-07-04T12:00:00.000Z' })])).toHaveLength(1);
      expect(await store.insert([storedEvent({ occurredAt: new Date().toISOString() })])).toHaveLength(1);
      expect(await store.insert([stored])).toHaveLength(0);
    });

    it('may read the key columns only, which INSERT … RETURNING id, occurred_at needs', async () => {
      const { rows } = await writer.query('SELECT id FROM events WHERE occurred_at = $1', [stored.occurredAt]);
      expect(rows).toEqual([{ id: stored.id }]);
    });

    it('may not create the partition of a month after the current one', async () => {
      const store = new PgEventStore(writer);
      await expect(store.insert([storedEvent({ occurredAt: '2031-07-04T12:00:00.000Z' })])).rejects.toMatchObject({
        code: '22023',
        message: expect.stringMatching(/2031-07-01 is after the current month/),
      });
      expect((await db.pool.query(`SELECT to_regclass('events_2031_07') AS t`)).rows[0].t).toBeNull();
    });

    it.each([
      ['UPDATE', `UPDATE events SET type = 'robot.offline'`],
      ['DELETE', 'DELETE FROM events'],
      ['TRUNCATE', 'TRUNCATE events'],
      ['SELECT', 'SELECT * FROM events'],
      ['SELECT a non-key column', 'SELECT payload FROM events'],
      ['filter on a non-key column', `SELECT id FROM events WHERE type = 'robot.online'`],
      ['SELECT a partition directly', 'SELECT id FROM events_2026_04'],
      ['CREATE TABLE', 'CREATE TABLE events_2040_01 (LIKE events)'],
      ['create any month through the maintenance function', `SELECT audit_ensure_month_partition('2040-01-01')`],
    ])('may not %s', async (_, sql) => {
      await expect(writer.query(sql)).rejects.toMatchObject({
        code: '42501',
        message: expect.stringMatching(/permission denied/),
      });
    });
  });

  describe('as audit_reader', () => {
    it('may SELECT', async () => {
      expect((await reader.query('SELECT count(*)::int AS n FROM events')).rows[0].n).toBeGreaterThanOrEqual(1);
    });

    it.each([
      ['INSERT', `INSERT INTO events SELECT * FROM events LIMIT 1`],
      ['UPDATE', `UPDATE events SET type = 'robot.offline'`],
      ['DELETE', 'DELETE FROM events'],
      ['TRUNCATE', 'TRUNCATE events'],
      ['create partitions', `SELECT audit_ensure_month_partition('2041-01-01')`],
      ['create partitions as the writer does', `SELECT audit_ensure_ingest_partition('2011-01-01')`],
    ])('may not %s', async (_, sql) => {
      await expect(reader.query(sql)).rejects.toMatchObject({
        code: '42501',
        message: expect.stringMatching(/permission denied/),
      });
    });
  });
});
