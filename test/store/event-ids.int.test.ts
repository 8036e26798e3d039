import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  INSERT_EVENTS_SQL,
  insertParameters,
  WRITE_EVENTS_SQL,
  writeParameters,
} from '../../shared/adapters/postgres/event-rows.ts';
import { migrate } from '../../shared/adapters/postgres/migrate.ts';
import { MIGRATIONS } from '../../shared/adapters/postgres/migrations/index.ts';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { eventDigest } from '../../shared/core/domain/event-digest.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventAbout } from '../support/events.ts';

/** An id names one event, across months, forever: event_ids (migration 008) and the writer's statement. */
describe('event ids', () => {
  let db: TestDatabase;
  let writer: pg.Pool;
  let reader: pg.Pool;
  let store: PgEventStore;

  beforeAll(async () => {
    db = await createTestDatabase('event_ids');
    writer = createPool({ connectionString: db.writerUrl, max: 2 });
    reader = createPool({ connectionString: db.readerUrl, max: 1 });
    store = new PgEventStore(writer);
  });
  afterAll(async () => {
    await Promise.all([writer?.end(), reader?.end()]);
    await db?.drop();
  });

  const rowsOf = async (id: string) =>
    (
      await db.pool.query<{ entity_id: string; occurred_at: Date }>(
        'SELECT entity_id, occurred_at FROM events WHERE id = $1',
        [id],
      )
    ).rows;
  const count = async () => (await db.pool.query('SELECT count(*)::int AS n FROM events')).rows[0].n as number;

  it('refuses an event under a stored id for another entity at another time; the rest of the batch is stored', async () => {
    const first = eventAbout('robot:r-1', { occurredAt: '2026-05-10T12:00:00.000Z' });
    await store.write([first]);
    const before = await count();
    const good = eventAbout('sensor:s-1');
    const reused = eventAbout('sensor:s-1', { id: first.id, occurredAt: '2026-04-02T08:00:00.000Z' });
    const alsoGood = eventAbout('sensor:s-1');

    expect(await store.write([good, reused, alsoGood])).toEqual({
      inserted: [good, alsoGood],
      conflicts: [{ index: 1, storedOccurredAt: first.occurredAt }],
    });
    expect(await count()).toBe(before + 2);
    expect(await rowsOf(first.id)).toEqual([{ entity_id: 'r-1', occurred_at: new Date(first.occurredAt) }]);
  });

  it('takes a resend of the same event, received again from another address and connection, as a no-op', async () => {
    const first = eventAbout('robot:r-2', {
      source: { channel: 'http', principal: 'alice', clientId: 'console', ip: '203.0.113.7' },
    });
    await store.write([first]);
    const resend = {
      ...first,
      receivedAt: '2026-05-10T12:30:00.000Z',
      source: { channel: 'http' as const, principal: 'alice', clientId: 'cli', ip: '198.51.100.1' },
    };
    expect(await store.write([resend])).toEqual({ inserted: [], conflicts: [] });
    expect(await rowsOf(first.id)).toHaveLength(1);
  });

  it('within one batch: the first event under an id is stored, a different one after it refused, a copy skipped', async () => {
    const first = eventAbout('robot:r-3');
    const other = { ...first, payload: { reason: 'other' } };
    expect(await store.write([first, other, { ...first }])).toEqual({
      inserted: [first],
      conflicts: [{ index: 1, storedOccurredAt: first.occurredAt }],
    });
  });

  /** Each variant of a base event, and whether it is still the same event. */
  const base = eventAbout('container:c-1', {
    type: 'container.weight.captured',
    payload: { value: 12.5, unit: 'kg', nested: { b: [1, null], a: 'ü' } },
    related: [{ type: 'bay', id: 'b-1' }],
    actor: { type: 'user', id: 'alice' },
    source: { channel: 'http', principal: 'alice', clientId: 'console', ip: '203.0.113.7' },
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    causationId: '0196b8a4-0000-7000-8000-000000000001',
  });
  const VARIANTS: [string, Partial<StoredEvent>, boolean][] = [
    ['receivedAt', { receivedAt: '2026-05-11T00:00:00.000Z' }, true],
    ['source.clientId and source.ip', { source: { channel: 'http', principal: 'alice' } }, true],
    ['payload key order', { payload: { unit: 'kg', nested: { a: 'ü', b: [1, null] }, value: 12.5 } }, true],
    ['causationId case', { causationId: '0196B8A4-0000-7000-8000-000000000001' }, true],
    ['entity', { entity: { type: 'container', id: 'c-2' } }, false],
    ['type', { type: 'container.temperature.captured' }, false],
    ['severity', { severity: 'WARNING' }, false],
    ['occurredAt', { occurredAt: '2026-05-10T12:00:00.001Z' }, false],
    ['related', { related: [] }, false],
    ['actor', { actor: { type: 'user', id: 'bob' } }, false],
    ['source.principal', { source: { channel: 'http', principal: 'bob' } }, false],
    ['source.channel', { source: { channel: 'internal', principal: 'alice' } }, false],
    ['a payload value', { payload: { value: 12.6, unit: 'kg', nested: { b: [1, null], a: 'ü' } } }, false],
    ['a nested payload value', { payload: { value: 12.5, unit: 'kg', nested: { b: [null, 1], a: 'ü' } } }, false],
    ['traceId', { traceId: '1af7651916cd43dd8448eb211c80319c' }, false],
    ['spanId', { spanId: undefined }, false],
    ['causationId', { causationId: undefined }, false],
  ];

  it.each(VARIANTS)('ingest and store agree whether a change of %s makes another event', async (_, change, same) => {
    const original = { ...base, id: eventAbout('container:c-1').id };
    const variant = { ...original, ...change };
    // Ingest's digest decides the FIFO deduplication id, the store's which event an id names.
    expect(eventDigest(variant) === eventDigest(original)).toBe(same);
    await store.write([original]);
    expect(await store.write([variant])).toEqual({
      inserted: [],
      conflicts: same ? [] : [{ index: 0, storedOccurredAt: original.occurredAt }],
    });
  });

  it('two writers claiming one id at once: one stores its event, the other is told the id is taken', async () => {
    const mine = eventAbout('robot:r-4');
    const theirs = eventAbout('sensor:s-4', { id: mine.id, occurredAt: '2026-05-09T00:00:00.000Z' });
    const client = await writer.connect();
    try {
      // The first writer's statement has claimed the id, uncommitted; the second waits on it, then reads the holder.
      await client.query('BEGIN');
      await client.query(WRITE_EVENTS_SQL, writeParameters([mine]));
      const second = store.write([theirs]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await client.query('COMMIT');
      expect(await second).toEqual({ inserted: [], conflicts: [{ index: 0, storedOccurredAt: mine.occurredAt }] });
    } finally {
      client.release();
    }
    expect(await rowsOf(mine.id)).toEqual([{ entity_id: 'r-4', occurred_at: new Date(mine.occurredAt) }]);
  });

  describe('event_ids is append-only', () => {
    beforeAll(() => store.write([eventAbout('robot:r-5')]));

    it.each([
      ['UPDATE', `UPDATE event_ids SET occurred_at = now()`, /event ids are kept forever: UPDATE of id/],
      ['DELETE', 'DELETE FROM event_ids', /event ids are kept forever: DELETE of id/],
      ['TRUNCATE', 'TRUNCATE event_ids', /event ids are kept forever: TRUNCATE of event_ids/],
    ])('the owner may not %s', async (_, sql, message) => {
      await expect(db.pool.query(sql)).rejects.toMatchObject({
        code: '42501',
        message: expect.stringMatching(message),
      });
    });

    it.each([
      ['UPDATE', 'UPDATE event_ids SET occurred_at = now()'],
      ['DELETE', 'DELETE FROM event_ids'],
      ['TRUNCATE', 'TRUNCATE event_ids'],
      ['disable its trigger', 'ALTER TABLE event_ids DISABLE TRIGGER event_ids_append_only'],
      ['drop it', 'DROP TABLE event_ids'],
    ])('the writer may not %s', async (_, sql) => {
      await expect(writer.query(sql)).rejects.toMatchObject({ code: '42501' });
    });

    it.each([
      ['read it', 'SELECT id FROM event_ids'],
      ['write it', `INSERT INTO event_ids VALUES (gen_random_uuid(), now(), sha256(''))`],
    ])('the reader may not %s', async (_, sql) => {
      await expect(reader.query(sql)).rejects.toMatchObject({ code: '42501' });
    });
  });
});

describe('migration 008 backfills event_ids from the events stored before it', () => {
  let db: TestDatabase;
  afterAll(() => db?.drop());

  it('holds every stored id with its digest; a legacy id stored twice keeps its first received event', async () => {
    db = await createTestDatabase('event_ids_backfill', { migrated: false });
    const before = MIGRATIONS.findIndex((m) => m.name === '008_event_ids');
    await migrate(db.pool, { migrations: MIGRATIONS.slice(0, before) });
    await db.pool.query(
      `SELECT audit_ensure_month_partition('2026-04-01'), audit_ensure_month_partition('2026-05-01')`,
    );
    const legacy = eventAbout('robot:r-1', {
      payload: { reason: 'boot', nested: { z: 1, a: [true, 'ü'] } },
      related: [{ type: 'bay', id: 'b-1' }],
      causationId: '0196b8a4-0000-7000-8000-000000000009',
    });
    const first = eventAbout('robot:r-2', { occurredAt: '2026-05-02T00:00:00.000Z' });
    // The bug 008 fixes: the old key (occurred_at, id) stored one id twice, at two instants.
    const twin = {
      ...first,
      entity: { type: 'sensor', id: 's-9' },
      occurredAt: '2026-04-20T00:00:00.000Z',
      receivedAt: '2026-05-10T12:30:00.000Z',
    };
    await db.pool.query(INSERT_EVENTS_SQL, insertParameters([legacy, first, twin]));

    await migrate(db.pool);
    const { rows } = await db.pool.query<{ id: string; occurred_at: Date }>(
      'SELECT id::text, occurred_at FROM event_ids ORDER BY id',
    );
    expect(rows).toEqual(
      [legacy, first]
        .map((e) => ({ id: e.id, occurred_at: new Date(e.occurredAt) }))
        .sort((a, b) => a.id.localeCompare(b.id)),
    );
    const store = new PgEventStore(db.pool);
    expect(await store.write([{ ...legacy, receivedAt: '2026-06-01T00:00:00.000Z' }, first])).toEqual({
      inserted: [],
      conflicts: [],
    });
    expect(await store.write([{ ...legacy, payload: { reason: 'boot' } }, twin])).toEqual({
      inserted: [],
      conflicts: [
        { index: 0, storedOccurredAt: legacy.occurredAt },
        { index: 1, storedOccurredAt: first.occurredAt },
      ],
    });
  });
});
