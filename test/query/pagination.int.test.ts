import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { storedEvent } from '../support/events.ts';
import { queryApi } from './api-support.ts';
import { NOW } from './fixture.ts';

let db: TestDatabase;
let reader: pg.Pool;
let store: PgEventStore;
let api: ReturnType<typeof queryApi>;

const entity = { type: 'robot', id: 'p-1' };
const at = (minutes: number) => new Date(Date.parse('2026-05-05T00:00:00Z') + minutes * 60_000).toISOString();
const event = (occurredAt: string) => storedEvent({ entity, occurredAt });

beforeAll(async () => {
  db = await createTestDatabase('query_pagination');
  store = new PgEventStore(db.pool);
  reader = createPool({ connectionString: db.readerUrl, max: 2 });
  api = queryApi(reader, () => NOW);
});

afterAll(async () => {
  await reader?.end();
  await db?.drop();
});

/** Reads every page, inserting between pages (newer, older, and ties on the cursor's instant) while it goes. */
async function readAllWhileInserting(order: 'asc' | 'desc'): Promise<StoredEvent[]> {
  const seen: StoredEvent[] = [];
  let cursor: string | undefined;
  let round = 0;
  do {
    const [{ json }] = await Promise.all([
      api.call('GET /events', {
        query: { entity: 'robot:p-1', since: '7d', limit: '25', order, ...(cursor && { cursor }) },
      }),
      store.insert([event(at(6000 + round)), event(at(-1000 - round)), event(at(500))]),
    ]);
    seen.push(...json.events);
    cursor = json.next ?? undefined;
    round++;
  } while (cursor);
  return seen;
}

describe('keyset pagination under concurrent inserts', () => {
  it.each(['desc', 'asc'] as const)(
    '%s: every event present at the start is read exactly once, in order',
    async (order) => {
      const original = Array.from({ length: 400 }, (_, i) => event(at(i * 2)));
      await store.insert(original);

      const seen = await readAllWhileInserting(order);
      const seenIds = seen.map((e) => e.id);
      expect(new Set(seenIds).size).toBe(seenIds.length);
      expect(seenIds).toEqual(expect.arrayContaining(original.map((e) => e.id)));
      const keys = seen.map((e) => `${e.occurredAt}|${e.id}`);
      const sorted = [...keys].sort();
      expect(keys).toEqual(order === 'asc' ? sorted : sorted.reverse());
    },
  );
});
