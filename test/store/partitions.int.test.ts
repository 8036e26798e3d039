import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureMonthPartitions } from '../../shared/adapters/postgres/partitions.ts';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { storedEvent } from '../support/events.ts';

describe('month partitions', () => {
  let db: TestDatabase;
  let store: PgEventStore;
  beforeAll(async () => {
    db = await createTestDatabase('partitions');
    store = new PgEventStore(db.pool);
  });
  afterAll(() => db?.drop());

  const partitionOf = async (id: string) =>
    (await db.pool.query('SELECT tableoid::regclass::text AS partition FROM events WHERE id = $1', [id])).rows[0]
      ?.partition;

  it('has no default partition', async () => {
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS defaults FROM pg_partitioned_table WHERE partrelid = 'events'::regclass AND partdefid <> 0`,
    );
    expect(rows[0].defaults).toBe(0);
  });

  it('creates the partition of a month that has none when an event arrives for it', async () => {
    const event = storedEvent({ occurredAt: '2026-03-14T09:26:53.589Z' });
    expect(await store.insert([event])).toHaveLength(1);
    expect(await partitionOf(event.id)).toBe('events_2026_03');
  });

  it('files an event by its UTC month: 2026-05-31T23:30-02:00 belongs to June', async () => {
    const event = storedEvent({ occurredAt: new Date('2026-05-31T23:30:00-02:00').toISOString() });
    await store.insert([event]);
    expect(await partitionOf(event.id)).toBe('events_2026_06');
  });

  it('creates every missing month of a batch', async () => {
    const events = ['2025-01-31T23:59:59.999Z', '2025-02-01T00:00:00.000Z', '2025-02-15T00:00:00.000Z'].map(
      (occurredAt) => storedEvent({ occurredAt }),
    );
    expect(await store.insert(events)).toHaveLength(3);
    expect(await Promise.all(events.map((event) => partitionOf(event.id)))).toEqual([
      'events_2025_01',
      'events_2025_02',
      'events_2025_02',
    ]);
  });

  it('ensures months idempotently and reports only those it created', async () => {
    const created = await ensureMonthPartitions(db.pool, [
      { year: 2027, month: 2 },
      { year: 2027, month: 1 },
      { year: 2027, month: 2 },
    ]);
    expect(created).toEqual([
      { year: 2027, month: 1 },
      { year: 2027, month: 2 },
    ]);
    expect(await ensureMonthPartitions(db.pool, [{ year: 2027, month: 1 }])).toEqual([]);
  });

  it('gives each partition exact UTC month bounds, its own TRUNCATE guard and the parent indexes', async () => {
    await ensureMonthPartitions(db.pool, [{ year: 2027, month: 3 }]);
    const { rows } = await db.pool.query(`
      SELECT pg_get_expr(c.relpartbound, c.oid) AS bound,
             (SELECT count(*)::int FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'events_no_truncate') AS truncate_guards,
             (SELECT count(*)::int FROM pg_index i WHERE i.indrelid = c.oid) AS indexes
      FROM pg_class c WHERE c.oid = 'events_2027_03'::regclass`);
    expect(rows[0]).toEqual({
      bound: "FOR VALUES FROM ('2027-03-01 00:00:00+00') TO ('2027-04-01 00:00:00+00')",
      truncate_guards: 1,
      indexes: 6,
    });
  });

  it('refuses a day that is not the first of a month, and months before 2000', async () => {
    await expect(db.pool.query(`SELECT audit_ensure_month_partition('2026-05-02')`)).rejects.toThrow(
      /2026-05-02 is not the first day of a month/,
    );
    await expect(ensureMonthPartitions(db.pool, [{ year: 1999, month: 12 }])).rejects.toThrow(
      /outside the supported months/,
    );
  });

  it('attaches a new month while a reader holds a transaction open on events', async () => {
    const reader = new pg.Client({ connectionString: db.url });
    const creator = new pg.Client({ connectionString: db.url });
    await Promise.all([reader.connect(), creator.connect()]);
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM events');
      // Fails fast instead of waiting, should the attach need a lock that conflicts with the reader's.
      await creator.query(`SET lock_timeout = '2s'`);
      await expect(
        creator.query(`SELECT audit_ensure_month_partition('2028-01-01') AS created`),
      ).resolves.toMatchObject({
        rows: [{ created: true }],
      });
      // The lock this test guards against: CREATE TABLE ... PARTITION OF must wait for the reader.
      await creator.query(`SET lock_timeout = '200ms'`);
      await expect(
        creator.query(
          `CREATE TABLE events_2028_02 PARTITION OF events FOR VALUES FROM ('2028-02-01Z') TO ('2028-03-01Z')`,
        ),
      ).rejects.toMatchObject({ code: '55P03' });
      await reader.query('COMMIT');
    } finally {
      await Promise.all([reader.end(), creator.end()]);
    }
  });
});
