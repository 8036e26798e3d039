import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../shared/domain/event.ts';
import type { EventFilter } from '../../shared/ports/index.ts';
import { InvalidCursorError, PgEventStore } from '../../shared/store/pg-event-store.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { storedEvent } from '../support/events.ts';

const robot1 = { type: 'robot', id: 'r-1' };
const bay1 = { type: 'bay', id: 'b-1' };
const at = (time: string) => `2025-03-01T${time}:00.000Z`;

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

describe('PgEventStore.list', () => {
  let db: TestDatabase;
  let store: PgEventStore;
  beforeAll(async () => {
    db = await createTestDatabase('list');
    store = new PgEventStore(db.pool);
    await store.insert(Object.values(fixture));
  });
  afterAll(() => db?.drop());

  const names = async (filter: Omit<EventFilter, 'limit'>): Promise<Name[]> => {
    const page = await store.list({ limit: 100, ...filter });
    const byId = new Map(Object.entries(fixture).map(([name, event]) => [event.id, name as Name]));
    return page.events.map((event) => byId.get(event.id) ?? (event.id as Name));
  };

  it('lists everything newest first, ties broken by id descending', async () => {
    expect(await names({})).toEqual(NEWEST_FIRST);
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
    expect(await names({ severity: ['ERROR', 'CRITICAL'] })).toEqual(['protocolError', 'decodeFailed']);
    expect(await names({ severity: ['WARNING'] })).toEqual(['offline']);
    expect(await names({ severity: ['INFO', 'CRITICAL'] })).toHaveLength(7);
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

  it('pages through everything with a cursor, across partitions, and says when there is no more', async () => {
    const pages: Name[][] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({ limit: 4, ...(cursor && { cursor }) });
      pages.push(page.events.map((event) => NEWEST_FIRST.find((name) => fixture[name].id === event.id)!));
      cursor = page.next ?? undefined;
    } while (cursor);
    expect(pages).toEqual([NEWEST_FIRST.slice(0, 4), NEWEST_FIRST.slice(4, 8), NEWEST_FIRST.slice(8)]);
    expect((await store.list({ limit: 9 })).next).toBeNull();
  });

  it('neither skips nor repeats rows when events arrive between pages', async () => {
    const entity = { type: 'robot', id: 'r-paging' };
    const minute = (m: number) => new Date(Date.UTC(2025, 5, 1, 12, m)).toISOString();
    const original = Array.from({ length: 10 }, (_, m) => storedEvent({ entity, occurredAt: minute(m) }));
    await store.insert(original);

    const seen: StoredEvent[] = [];
    const first = await store.list({ entity, limit: 3 });
    seen.push(...first.events);
    const newest = storedEvent({ entity, occurredAt: minute(30) });
    const oldest = storedEvent({ entity, occurredAt: '2025-05-31T00:00:00.000Z' });
    const sameTimeAsCursor = storedEvent({
      entity,
      occurredAt: first.events.at(-1)!.occurredAt,
      id: '00000000-0000-7000-8000-000000000000',
    });
    await store.insert([newest, oldest, sameTimeAsCursor]);

    let cursor = first.next;
    while (cursor) {
      const page = await store.list({ entity, limit: 3, cursor });
      seen.push(...page.events);
      cursor = page.next;
    }
    const ids = seen.map((event) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining([...original.map((event) => event.id), oldest.id, sameTimeAsCursor.id]));
    expect(ids).not.toContain(newest.id);
    expect(ids).toHaveLength(original.length + 2);
  });

  it('rejects a cursor it did not issue', async () => {
    await expect(store.list({ limit: 10, cursor: 'bm90LWEtY3Vyc29y' })).rejects.toBeInstanceOf(InvalidCursorError);
  });
});
