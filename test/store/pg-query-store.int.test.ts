import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { PgQueryStore } from '../../shared/adapters/postgres/pg-query-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import type { EventQueryFilter, PageRequest, SortOrder } from '../../shared/core/query/filter.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { storedEvent } from '../support/events.ts';

const robot1 = { type: 'robot', id: 'r-1' };
const bay1 = { type: 'bay', id: 'b-1' };
const at = (time: string) => `2025-03-01T${time}:00.000Z`;
/** Holds every event of this file: February to June 2025, five monthly partitions. */
const WINDOW = { since: new Date('2025-02-01T00:00:00Z'), until: new Date('2025-07-01T00:00:00Z') };

// Ids chosen so the two events at 10:25 tie on time and are ordered by id.
const fixture = {
  lastFebruary: storedEvent({ type: 'robot.online', entity: robot1, occurredAt: '2025-02-28T23:59:59.999Z' }),
  online: storedEvent({ type: 'robot.online', entity: robot1, occurredAt: at('10:00') }),
  offline: storedEvent({ type: 'robot.offline', severity: 'WARNING', entity: robot1, occurredAt: at('10:05') }),
  moved: storedEvent({
    type: 'container.moved',
    entity: { type: 'container', id: 'c-9' },
    related: [bay1, robot1],
    occurredAt: at('10:10'),
  }),
  decodeFailed: storedEvent({
    type: 'sensor.payload.decode_failed',
    severity: 'ERROR',
    entity: { type: 'sensor', id: 's-3' },
    occurredAt: at('10:15'),
  }),
  protocolError: storedEvent({
    type: 'controller.protocol.error',
    severity: 'CRITICAL',
    entity: { type: 'controller', id: 'k-1' },
    related: [bay1],
    occurredAt: at('10:20'),
  }),
  sessionStarted: storedEvent({
    id: '0195519a-0000-7000-8000-000000000001',
    type: 'robot.session.started',
    entity: { type: 'robot', id: 'r-2' },
    occurredAt: at('10:25'),
  }),
  sessionEnded: storedEvent({
    id: '0195519a-0000-7000-8000-000000000002',
    type: 'robot.session.ended',
    entity: { type: 'robot', id: 'r-2' },
    occurredAt: at('10:25'),
  }),
  armMoved: storedEvent({ type: 'robotics.arm.moved', entity: { type: 'arm', id: 'a-1' }, occurredAt: at('10:30') }),
};
type Name = keyof typeof fixture;
const NEWEST_FIRST: Name[] = [
  'armMoved',
  'sessionEnded',
  'sessionStarted',
  'protocolError',
  'decodeFailed',
  'moved',
  'offline',
  'online',
  'lastFebruary',
];
const nameOf = (event: StoredEvent): Name =>
  NEWEST_FIRST.find((name) => fixture[name].id === event.id) ?? (event.id as Name);

/** The query API's store (what GET /events and GET /entities/{type}/{id}/events read through), as audit_reader. */
describe('PgQueryStore.page', () => {
  let db: TestDatabase;
  let reader: pg.Pool;
  let writer: PgEventStore;
  let store: PgQueryStore;
  beforeAll(async () => {
    db = await createTestDatabase('query_store');
    writer = new PgEventStore(db.pool);
    await writer.insert(Object.values(fixture));
    reader = createPool({ connectionString: db.readerUrl, max: 1 });
    store = new PgQueryStore(reader);
  });
  afterAll(async () => {
    await reader?.end();
    await db?.drop();
  });

  const names = async (filter: Partial<EventQueryFilter>, order: SortOrder = 'desc'): Promise<Name[]> => {
    const page = await store.page({ ...WINDOW, ...filter }, { order, limit: 100 });
    return page.events.map(nameOf);
  };

  it('lists everything newest first, ties broken by id descending (oldest first on request)', async () => {
    expect(await names({})).toEqual(NEWEST_FIRST);
    expect(await names({}, 'asc')).toEqual([...NEWEST_FIRST].reverse());
  });

  it('finds an entity by itself and where it is related', async () => {
    expect(await names({ entity: robot1 })).toEqual(['moved', 'offline', 'online', 'lastFebruary']);
    expect(await names({ entity: bay1 })).toEqual(['protocolError', 'moved']);
  });

  it('filters by exact type, or by prefix with .*', async () => {
    expect(await names({ type: 'robot.online' })).toEqual(['online', 'lastFebruary']);
    expect(await names({ type: 'robot.*' })).toEqual([
      'sessionEnded',
      'sessionStarted',
      'offline',
      'online',
      'lastFebruary',
    ]);
    expect(await names({ type: 'robot.session.*' })).toEqual(['sessionEnded', 'sessionStarted']);
  });

  it('filters by severity', async () => {
    expect(await names({ severities: ['ERROR', 'CRITICAL'] })).toEqual(['protocolError', 'decodeFailed']);
    expect(await names({ severities: ['WARNING'] })).toEqual(['offline']);
    expect(await names({ severities: ['INFO', 'CRITICAL'] })).toHaveLength(7);
  });

  it('filters by time: since included, until excluded', async () => {
    expect(await names({ since: new Date(at('10:05')), until: new Date(at('10:20')) })).toEqual([
      'decodeFailed',
      'moved',
      'offline',
    ]);
    expect(await names({ until: new Date('2025-03-01T00:00:00Z') })).toEqual(['lastFebruary']);
  });

  it('combines filters', async () => {
    expect(await names({ entity: robot1, type: 'robot.*', since: new Date('2025-03-01T00:00:00Z') })).toEqual([
      'offline',
      'online',
    ]);
  });

  it.each(['desc', 'asc'] as const)(
    '%s: pages through everything after the last row, across partitions, and says when there is no more',
    async (order) => {
      const expected = order === 'desc' ? NEWEST_FIRST : [...NEWEST_FIRST].reverse();
      const pages: Name[][] = [];
      let after: PageRequest['after'];
      let hasMore = true;
      while (hasMore) {
        const page = await store.page(WINDOW, { order, limit: 4, ...(after && { after }) });
        pages.push(page.events.map(nameOf));
        const last = page.events.at(-1);
        after = last && { occurredAt: last.occurredAt, id: last.id };
        hasMore = page.hasMore;
      }
      expect(pages).toEqual([expected.slice(0, 4), expected.slice(4, 8), expected.slice(8)]);
      expect((await store.page(WINDOW, { order, limit: 9 })).hasMore).toBe(false);
    },
  );

  it.each(['desc', 'asc'] as const)(
    '%s: neither skips nor repeats rows when events arrive between pages',
    async (order) => {
      const entity = { type: 'robot', id: `r-paging-${order}` };
      const filter = { ...WINDOW, entity };
      const minute = (m: number) => new Date(Date.UTC(2025, 5, 1, 12, m)).toISOString();
      const original = Array.from({ length: 10 }, (_, m) => storedEvent({ entity, occurredAt: minute(m) }));
      await writer.insert(original);

      const seen: StoredEvent[] = [];
      const first = await store.page(filter, { order, limit: 3 });
      seen.push(...first.events);
      // Ahead of the reading (older when newest first, newer when oldest first): must be read.
      const ahead = storedEvent({ entity, occurredAt: order === 'desc' ? '2025-05-31T00:00:00.000Z' : minute(30) });
      // Behind it: already passed, so must not be read.
      const behind = storedEvent({ entity, occurredAt: order === 'desc' ? minute(30) : '2025-05-31T00:00:00.000Z' });
      // At the last row's instant, on the side still to be read: the id breaks the tie.
      const sameTimeAsLast = storedEvent({
        entity,
        occurredAt: first.events.at(-1)!.occurredAt,
        id: order === 'desc' ? '00000000-0000-7000-8000-000000000000' : 'ffffffff-ffff-7fff-bfff-ffffffffffff',
      });
      await writer.insert([ahead, behind, sameTimeAsLast]);

      let last = first.events.at(-1);
      let hasMore = first.hasMore;
      while (hasMore && last) {
        const page = await store.page(filter, { order, limit: 3, after: { occurredAt: last.occurredAt, id: last.id } });
        seen.push(...page.events);
        last = page.events.at(-1);
        hasMore = page.hasMore;
      }
      const ids = seen.map((event) => event.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(expect.arrayContaining([...original.map((event) => event.id), ahead.id, sameTimeAsLast.id]));
      expect(ids).not.toContain(behind.id);
      expect(ids).toHaveLength(original.length + 2);
    },
  );
});
