import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  INSERT_EVENTS_SQL,
  insertParameters,
  WRITE_EVENTS_SQL,
  WRITE_NEW_EVENTS_SQL,
  writeParameters,
} from '../../shared/adapters/postgres/event-rows.ts';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventAbout } from '../support/events.ts';

/** How the writer claims ids (event-rows.ts): what a new batch costs, and claims racing each other. */
describe("the writer's claims in event_ids", () => {
  let db: TestDatabase;
  let writer: pg.Pool;
  let store: PgEventStore;

  beforeAll(async () => {
    db = await createTestDatabase('event_ids_writer');
    // One connection, so that its statistics can be flushed from it (pg_stat_force_next_flush is per session).
    writer = createPool({ connectionString: db.writerUrl, max: 1 });
    store = new PgEventStore(writer);
  });
  afterAll(async () => {
    await writer?.end();
    await db?.drop();
  });

  const held = async (id: string) =>
    (await db.pool.query('SELECT 1 FROM event_ids WHERE id = $1', [id])).rowCount as number;

  /** Scans of event_ids so far, the writer's session flushed first. */
  const eventIdReads = async () => {
    await writer.query('SELECT pg_stat_force_next_flush()');
    const { rows } = await db.pool.query<{ seq_scan: string; idx_scan: string }>(
      "SELECT seq_scan, idx_scan FROM pg_stat_user_tables WHERE relname = 'event_ids'",
    );
    return rows[0];
  };

  it('a batch of new events reads nothing of event_ids: the primary key refuses a held id', async () => {
    await store.write([eventAbout('robot:r-1'), eventAbout('robot:r-1')]);
    const before = await eventIdReads();
    const batch = [eventAbout('robot:r-1'), eventAbout('sensor:s-1'), eventAbout('robot:r-1')];
    expect(await store.write(batch)).toEqual({ inserted: batch, conflicts: [] });
    // No scan, no ON CONFLICT probe: a cost that does not grow with the table, which keeps every id forever.
    expect(await eventIdReads()).toEqual(before);
  });

  it('a row in events whose id event_ids lacks (written around the writer) fails the write, not taken for a resend', async () => {
    const bypassed = eventAbout('robot:r-2');
    await db.pool.query(INSERT_EVENTS_SQL, insertParameters([bypassed]));
    const other = eventAbout('robot:r-2');
    await expect(store.write([other, { ...bypassed, payload: { reason: 'other' } }])).rejects.toMatchObject({
      code: '23505',
      message: expect.stringContaining('events_2026_05_pkey'),
    });
    // The statement is atomic: neither id was claimed, nor the good event stored.
    expect(await held(bypassed.id)).toBe(0);
    expect(await held(other.id)).toBe(0);
  });

  it.each([
    ['WRITE_NEW_EVENTS_SQL', WRITE_NEW_EVENTS_SQL],
    ['WRITE_EVENTS_SQL', WRITE_EVENTS_SQL],
  ])(
    'a writer claiming an id that %s of another writer holds uncommitted waits, then is told it is taken',
    async (_, sql) => {
      const mine = eventAbout('robot:r-3');
      const theirs = eventAbout('sensor:s-3', { id: mine.id, occurredAt: '2026-05-09T00:00:00.000Z' });
      const other = createPool({ connectionString: db.writerUrl, max: 1 });
      const client = await other.connect();
      try {
        await client.query('BEGIN');
        await client.query(sql, writeParameters([mine]));
        const second = store.write([theirs]);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await client.query('COMMIT');
        expect(await second).toEqual({ inserted: [], conflicts: [{ index: 0, storedOccurredAt: mine.occurredAt }] });
      } finally {
        client.release();
        await other.end();
      }
    },
  );

  it('an id another writer claims while the fallback runs is compared once that writer commits', async () => {
    const stored = eventAbout('robot:r-5');
    await store.write([stored]);
    const mine = eventAbout('robot:r-5');
    const theirs = { ...mine, payload: { reason: 'theirs' } };
    expect(stored.id < mine.id).toBe(true);
    const other = createPool({ connectionString: db.writerUrl, max: 1 });
    const client = await other.connect();
    try {
      await client.query('BEGIN');
      await client.query(WRITE_NEW_EVENTS_SQL, writeParameters([theirs]));
      // The stored id, first in id order, fails the one-statement write at once; the lookup that follows cannot see
      // the uncommitted claim, so the fallback's claim waits for it, and the comparison runs after.
      const second = store.write([{ ...stored, receivedAt: '2026-05-12T00:00:00.000Z' }, mine]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await client.query('COMMIT');
      expect(await second).toEqual({ inserted: [], conflicts: [{ index: 1, storedOccurredAt: theirs.occurredAt }] });
    } finally {
      client.release();
      await other.end();
    }
  });

  it('two writers claiming overlapping ids in opposite batch orders do not deadlock: claims go in id order', async () => {
    const low = eventAbout('robot:r-4');
    const high = eventAbout('robot:r-4');
    expect(low.id < high.id).toBe(true);
    const at = { occurredAt: '2026-05-11T00:00:00.000Z' };
    const other = createPool({ connectionString: db.writerUrl, max: 1 });
    const client = await other.connect();
    try {
      // The first writer holds the lower id; the second, given the higher first, must wait for the lower before
      // taking the higher, or the first writer's next claim (the higher) would close a cycle.
      await client.query('BEGIN');
      await client.query(WRITE_NEW_EVENTS_SQL, writeParameters([low]));
      const second = store.write([
        { ...high, ...at },
        { ...low, ...at },
      ]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await client.query(WRITE_NEW_EVENTS_SQL, writeParameters([high]));
      await client.query('COMMIT');
      expect(await second).toEqual({
        inserted: [],
        conflicts: [
          { index: 0, storedOccurredAt: high.occurredAt },
          { index: 1, storedOccurredAt: low.occurredAt },
        ],
      });
    } finally {
      client.release();
      await other.end();
    }
  });
});
