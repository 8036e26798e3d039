import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSERT_EVENTS_SQL, insertParameters } from '../../shared/adapters/postgres/event-rows.ts';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { PgQueryStore } from '../../shared/adapters/postgres/pg-query-store.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { escapeForQueue } from '../../shared/core/ingest/packing.ts';
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

  describe('stores each value as the column arrays it replaced did (one JSON batch parameter)', () => {
    const entity = { type: 'container', id: 'c-😀-"q"\\{b},NULL' };
    /** Ids take no whitespace and no ':'; principals and payloads take anything storable. */
    const id = 'ünïcødé-日本語-e\u0301-\ufffd-\u{10fffd}-👩\u200d🔧-"q"\\{b},NULL';
    const text = 'ünïcødé 日本語 e\u0301 \ufffd \u{10fffd} 👩\u200d🔧 "q" \\ {b}, NULL \t\n\u0001\u001f\u007f';
    /** Parsed from the queue's JSON, whose astral characters are surrogate-pair escapes (escapeForQueue). */
    const fromQueue = (event: StoredEvent): StoredEvent => {
      const json = escapeForQueue(JSON.stringify(event));
      expect(json).toContain('\\ud83d\\ude00');
      return JSON.parse(json) as StoredEvent;
    };
    const tricky = () =>
      fromQueue(
        storedEvent({
          type: 'container.weight.captured',
          severity: 'WARNING',
          occurredAt: '2026-05-31T23:59:59.999Z',
          receivedAt: '2026-06-01T00:00:00.001Z',
          entity,
          related: [{ type: 'bay', id }],
          actor: { type: 'user', id: 'älice-😀' },
          source: { channel: 'http', principal: text, clientId: '', ip: '2001:db8::1' },
          payload: {
            [text]: text,
            big: 'x😀'.repeat(16_000),
            numbers: [0, -0, 0.1, 1e300, -5e-324, 2 ** 53, -(2 ** 31)],
            empty: { list: [], object: {}, string: '', nil: null },
          },
          traceId: '0af7651916cd43dd8448eb211c80319c',
          spanId: 'b7ad6b7169203331',
          causationId: '0196B8A4-0000-7000-8000-00000000CAFE',
        }),
      );
    /** Instants spelled with an offset and with more than milliseconds: past the schema, as the store takes them. */
    const offsets = () =>
      ({
        ...storedEvent({ entity, payload: { emoji: '😀' } }),
        occurredAt: '2026-06-01T01:30:00.1234+02:00',
        receivedAt: '2026-05-31T19:30:00.5-04:00',
      }) as StoredEvent;
    const minimal = () => storedEvent({ entity, occurredAt: '2026-05-31T20:00:00.000Z' });

    /** Each event's row (but its id) and digest, next to its twin's, written under another id as the arrays did. */
    const rowsOf = async (events: readonly StoredEvent[]) => {
      const twins = events.map((event) => ({ ...event, id: storedEvent().id }));
      await db.pool.query(INSERT_EVENTS_SQL, insertParameters(twins));
      const { rows } = await db.pool.query(
        `SELECT e.id::text, to_jsonb(e) - 'id' AS row, e.payload::text AS payload_text,
                audit_event_digest(e.entity_type, e.entity_id, e.type, e.severity, e.occurred_at, e.related, e.actor,
                  e.source_channel, e.source_principal, e.payload, e.trace_id, e.span_id, e.causation_id) AS digest,
                i.digest AS held_digest
           FROM events e LEFT JOIN event_ids i USING (id) WHERE e.id = ANY($1::uuid[])`,
        [[...events, ...twins].map((event) => event.id)],
      );
      const byId = new Map(rows.map((row) => [row.id as string, row]));
      return events.map((event, i) => ({
        written: byId.get(event.id.toLowerCase()),
        twin: byId.get(twins[i]!.id),
      }));
    };
    const expectSameAsTwins = (pairs: Awaited<ReturnType<typeof rowsOf>>) => {
      for (const { written, twin } of pairs) {
        expect(written.row).toStrictEqual(twin.row);
        expect(written.payload_text).toBe(twin.payload_text);
        // The digest it was claimed with is the one migration 008 computes from the stored row.
        expect(written.held_digest).toStrictEqual(written.digest);
        expect(written.digest).toStrictEqual(twin.digest);
      }
    };

    it('on the fast path, byte for byte, with digests that match the stored rows', async () => {
      const events = [tricky(), offsets(), minimal()];
      expect(await store.write(events)).toEqual({ inserted: events, conflicts: [] });
      const pairs = await rowsOf(events);
      expectSameAsTwins(pairs);
      expect(pairs[0]!.written.row).toMatchObject({
        entity_id: entity.id,
        actor: 'user:älice-😀',
        source_principal: tricky().source.principal,
        source_client_id: '',
        causation_id: '0196b8a4-0000-7000-8000-00000000cafe',
      });
      expect(pairs[0]!.written.row.payload.big).toHaveLength(48_000);
      expect(pairs[1]!.written.row).toMatchObject({
        occurred_at: '2026-05-31T23:30:00.123+00:00',
        received_at: '2026-05-31T23:30:00.5+00:00',
      });
      expect(pairs[2]!.written.row).toMatchObject({
        source_client_id: null,
        source_ip: null,
        trace_id: null,
        span_id: null,
        causation_id: null,
      });
      // A resend of them all, compared with what their ids hold (HELD_EVENTS_SQL), is a no-op.
      expect(await store.write(events.map(fromQueue))).toEqual({ inserted: [], conflicts: [] });
    });

    it('on the path for a batch with a held id (WRITE_EVENTS_SQL), and tells a changed byte from a resend', async () => {
      const held = tricky();
      await store.write([held]);
      const events = [held, tricky(), offsets(), minimal()];
      const changed = { ...held, payload: { ...held.payload, big: `${held.payload['big']}.` } };
      expect(await store.write([...events, changed])).toEqual({
        inserted: events.slice(1),
        conflicts: [{ index: 4, storedOccurredAt: held.occurredAt }],
      });
      expectSameAsTwins(await rowsOf(events));
    });

    it('refuses a lone surrogate in a text column instead of storing U+FFFD for it', async () => {
      const lone = storedEvent({ entity: { type: 'robot', id: 'r-\ud800' } });
      await expect(store.write([lone])).rejects.toMatchObject({ code: '22P02' });
      const { rows } = await db.pool.query('SELECT 1 FROM events WHERE id = $1', [lone.id]);
      expect(rows).toHaveLength(0);
    });
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
