import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { PgQueryStore } from '../../shared/adapters/postgres/pg-query-store.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { storedEvent } from '../support/events.ts';

describe('PgEventStore.insert', () => {
  let db: TestDatabase;
  let store: PgEventStore;
  beforeAll(async () => {
    db = await createTestDatabase('event_store');
    store = new PgEventStore(db.pool);
  });
  afterAll(() => db?.drop());

  const count = async () => (await db.pool.query('SELECT count(*)::int AS n FROM events')).rows[0].n as number;
  /** An entity's events, newest first, read back as the query API reads them. */
  const listOf = (entity: StoredEvent['entity']) =>
    new PgQueryStore(db.pool).page(
      { entity, since: new Date('2026-01-01T00:00:00Z'), until: new Date('2027-01-01T00:00:00Z') },
      { order: 'desc', limit: 100 },
    );

  it('stores nothing for an empty batch', async () => {
    expect(await store.insert([])).toHaveLength(0);
  });

  it('reads back exactly the event it stored, every optional field included or left out', async () => {
    const entity = { type: 'container', id: 'c-"quoted"\\{braces},' };
    const full = storedEvent({
      type: 'container.weight.captured',
      severity: 'CRITICAL',
      occurredAt: '2026-05-31T21:30:00.123Z',
      receivedAt: '2026-05-31T21:30:02.456Z',
      entity,
      related: [
        { type: 'bay', id: 'b-1' },
        { type: 'line', id: "l'2" },
      ],
      actor: { type: 'user', id: 'alice' },
      source: { channel: 'http', principal: 'alice@example.com', clientId: 'console', ip: '203.0.113.7' },
      payload: { value: 12.5, unit: 'kg', note: 'ünïcødé "quotes" \\ and {braces}', nested: { list: [1, null, true] } },
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      causationId: '0196b8a4-0000-7000-8000-000000000001',
    });
    const minimal = storedEvent({ entity, occurredAt: '2026-05-31T21:00:00.000Z' });
    expect(await store.insert([full, minimal])).toHaveLength(2);
    expect((await listOf(entity)).events).toStrictEqual([full, minimal]);
  });

  it('skips a redelivered batch, and the already stored part of a mixed one', async () => {
    const entity = { type: 'robot', id: 'r-redelivery' };
    const batch = [storedEvent({ entity }), storedEvent({ entity, occurredAt: '2026-06-01T00:00:00.000Z' })];
    expect(await store.insert(batch)).toEqual(batch);
    const before = await count();
    expect(await store.insert(batch)).toEqual([]);
    expect(await count()).toBe(before);
    const fresh = storedEvent({ entity });
    expect(await store.insert([batch[0]!, fresh, batch[1]!])).toEqual([fresh]);
    expect((await listOf(entity)).events).toHaveLength(3);
  });

  it('stores an event repeated within one batch once, and reports it new once', async () => {
    const event = storedEvent({ entity: { type: 'robot', id: 'r-twice' } });
    expect(await store.insert([event, event])).toEqual([event]);
  });

  it('tells events by their id alone, whatever its case: the same id at another instant is a conflict', async () => {
    const entity = { type: 'robot', id: 'r-key' };
    const upper = storedEvent({ entity, id: '0196B8A4-0000-7000-8000-00000000ABCD' });
    expect(await store.write([upper])).toEqual({ inserted: [upper], conflicts: [] });
    const lower = { ...upper, id: upper.id.toLowerCase() };
    expect(await store.write([lower])).toEqual({ inserted: [], conflicts: [] });
    const before = await count();
    const sameIdLater = { ...upper, occurredAt: '2026-05-10T12:00:00.001Z' };
    expect(await store.write([lower, sameIdLater])).toEqual({
      inserted: [],
      conflicts: [{ index: 1, storedOccurredAt: upper.occurredAt }],
    });
    expect(await count()).toBe(before);
  });

  it('reports a row the schema refuses instead of retrying it', async () => {
    const event = storedEvent();
    const refused = { ...event, source: { channel: 'mqtt', principal: 'r-17' } } as unknown as StoredEvent;
    await expect(store.insert([refused])).rejects.toMatchObject({
      code: '23514',
      constraint: 'events_source_channel_check',
    });
  });

  it('writes a batch of a thousand events spanning months in one call', async () => {
    const entity = { type: 'sensor', id: 's-bulk' };
    const start = Date.parse('2026-01-20T00:00:00Z');
    const events = Array.from({ length: 1000 }, (_, i) =>
      storedEvent({ entity, occurredAt: new Date(start + i * 3_600_000).toISOString() }),
    );
    expect(await store.insert(events)).toHaveLength(1000);
    const { rows } = await db.pool.query(
      `SELECT tableoid::regclass::text AS partition, count(*)::int AS n FROM events WHERE entity_id = 's-bulk' GROUP BY 1 ORDER BY 1`,
    );
    expect(rows).toEqual([
      { partition: 'events_2026_01', n: 288 },
      { partition: 'events_2026_02', n: 672 },
      { partition: 'events_2026_03', n: 40 },
    ]);
  });
});
