import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArchiveJobs } from '../../shared/adapters/duckdb/archive-jobs.ts';
import { openLocalArchiveQuery } from '../../shared/adapters/duckdb/local-query.ts';
import { FileObjectStore } from '../../shared/adapters/files/file-store.ts';
import { runMaintenance } from '../../shared/adapters/postgres/maintenance/maintain.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { formatMonth, type Month, monthBounds, monthRange } from '../../shared/core/domain/month.ts';
import { insertEvents, monthEvents, partitionNames } from '../lifecycle/fixture.ts';
import { queryApi } from '../query/api-support.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventAbout } from '../support/events.ts';

/**
 * Issue 14, item 5: for a 16-month history, the API's paged walk over one entity, from PostgreSQL into the archive
 * after the real archival of the old months, returns exactly the events the store held before, in order, once each,
 * late events for an archived month included, and a month archived but not dropped yet served once.
 */
const MONTHS = monthRange({ year: 2024, month: 1 }, { year: 2025, month: 4 });
const ROBOT = 'robot:r-9';
const NOW = new Date('2025-10-15T08:00:00Z');

let db: TestDatabase;
let reader: pg.Pool;
let dir: string;
let store: FileObjectStore;
let api: ReturnType<typeof queryApi>;
/** Every page the walk served before archival: the store's whole history of the entity. */
let before: StoredEvent[];

/** The entity's own events, events naming it in related (one naming itself too), and a tie on one instant. */
function entityEvents(month: Month, label: string, count = 6): StoredEvent[] {
  const { start, end } = monthBounds(month);
  const span = end.getTime() - start.getTime();
  return Array.from({ length: count }, (_, i) => {
    const at = new Date(start.getTime() + Math.floor(((Math.min(i, count - 2) + 0.5) * span) / count)).toISOString();
    const id = `0196b3a0-${String(month.year).slice(2)}${String(month.month).padStart(2, '0')}-7000-8${label}-${String(i).padStart(12, '0')}`;
    if (i % 3 === 1)
      return eventAbout('container:c-9', {
        id,
        occurredAt: at,
        receivedAt: at,
        related: [{ type: 'robot', id: 'r-9' }],
      });
    return eventAbout(ROBOT, {
      id,
      occurredAt: at,
      receivedAt: at,
      ...(i === 2 && { related: [{ type: 'robot', id: 'r-9' }] }),
      payload: { month: formatMonth(month), i },
    });
  });
}

async function walk(limit: number): Promise<{ events: (StoredEvent & { storedIn: string })[]; pages: number }> {
  const events: (StoredEvent & { storedIn: string })[] = [];
  let query: Record<string, string> = { limit: String(limit) };
  let pages = 0;
  for (;;) {
    const { status, json } = await api.call('GET /entities/{type}/{id}/events', {
      pathParameters: { type: 'robot', id: 'r-9' },
      query,
    });
    expect(status).toBe(200);
    pages++;
    events.push(...json.events);
    if (json.next) query = { limit: String(limit), cursor: json.next };
    else if (json.archive?.start) {
      expect(json.archive.state).toBe('available');
      const href = new URL(json.archive.start.href, 'http://api');
      expect(href.pathname).toBe('/entities/robot/r-9/events/archive');
      const started = await api.call('POST /entities/{type}/{id}/events/archive', {
        pathParameters: { type: 'robot', id: 'r-9' },
        query: Object.fromEntries(href.searchParams),
      });
      expect(started.status).toBe(202);
      query = { limit: String(limit), cursor: started.json.next };
    } else return { events, pages };
    if (pages > 500) throw new Error('the walk does not end');
  }
}

const strip = ({ storedIn: _, ...event }: StoredEvent & { storedIn: string }) => event;

beforeAll(async () => {
  db = await createTestDatabase('history_hot_cold');
  reader = createPool({ connectionString: db.readerUrl, max: 2 });
  dir = await mkdtemp(join(tmpdir(), 'hot-cold-'));
  store = new FileObjectStore(join(dir, 'archive'));
  for (const month of MONTHS) await insertEvents(db.pool, [...monthEvents(month, 60), ...entityEvents(month, '000')]);
  api = queryApi(reader, () => NOW, {
    archiveJobs: new LocalArchiveJobs(() => openLocalArchiveQuery(store.root, join(dir, 'query'))),
  });
  before = (await walk(7)).events.map(strip);
});

afterAll(async () => {
  await reader?.end();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('entity history across PostgreSQL and the archive', () => {
  it('before archival: the whole 16 months from PostgreSQL, own and related events, newest first, once each', async () => {
    const expected = MONTHS.flatMap((m) => entityEvents(m, '000')).sort((a, b) =>
      a.occurredAt === b.occurredAt ? (a.id < b.id ? 1 : -1) : a.occurredAt < b.occurredAt ? 1 : -1,
    );
    expect(before.map((e) => e.id)).toEqual(expected.map((e) => e.id));
  });

  it('after the archival of 8 months (one not dropped yet) and late events: the same walk, PostgreSQL then the archive', async () => {
    const maintain = (now: string, crash?: Parameters<typeof runMaintenance>[1]['crash']) =>
      runMaintenance(
        { pool: db.pool, store },
        {
          now: new Date(now),
          retentionMonths: 13,
          premakeMonths: 0,
          workDir: join(dir, 'work'),
          ...(crash && { crash }),
        },
      );
    expect((await maintain('2025-09-15T00:00:00Z')).dropped).toEqual(
      monthRange({ year: 2024, month: 1 }, { year: 2024, month: 7 }).map(formatMonth),
    );
    // 2024-08 is exported and verified, then the run stops: its rows are in the archive and still in PostgreSQL.
    const stopped = await maintain('2025-10-15T00:00:00Z', (point, month) => {
      if (point === 'verify:done' && month.month === 8) throw new Error('stopped after verify');
    });
    expect(stopped.status).toBe('failed');
    expect(await partitionNames(db.pool)).toContain('events_2024_08');
    // Late events for an archived, dropped month land in a recreated partition.
    const late = entityEvents({ year: 2024, month: 2 }, '111', 3);
    await insertEvents(db.pool, late);
    expect(await partitionNames(db.pool)).toContain('events_2024_02');

    const after = await walk(7);
    const expected = [...before, ...late].sort((a, b) =>
      a.occurredAt === b.occurredAt ? (a.id < b.id ? 1 : -1) : a.occurredAt < b.occurredAt ? 1 : -1,
    );
    const ids = after.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(after.events.map(strip)).toEqual(expected);
    const storedIn = (id: string) => after.events.find((e) => e.id === id)?.storedIn;
    expect(late.map((e) => storedIn(e.id))).toEqual(['postgres', 'postgres', 'postgres']);
    // Below 2024-09 the archive serves, PostgreSQL too for what it still holds (2024-08, the late events of 2024-02).
    const archived = after.events.filter((e) => e.storedIn === 'archive');
    expect(archived.map((e) => e.occurredAt.slice(0, 7))).toEqual(
      [...before].filter((e) => e.occurredAt < '2024-08').map((e) => e.occurredAt.slice(0, 7)),
    );
    expect(after.events.filter((e) => e.occurredAt >= '2024-08').every((e) => e.storedIn === 'postgres')).toBe(true);
  });

  it('a page size that puts the boundary anywhere serves the same stream', async () => {
    for (const limit of [1, 5, 100]) {
      const { events } = await walk(limit);
      expect(
        events.map((e) => e.id),
        `limit ${limit}`,
      ).toEqual((await walk(7)).events.map((e) => e.id));
    }
  });

  it('GET /events over archived months points at them and continues there', async () => {
    const query = { entity: ROBOT, since: '2024-07-01T00:00:00Z', until: '2024-09-15T00:00:00Z' };
    const first = await api.call('GET /events', { query });
    expect(first.status).toBe(200);
    expect(first.json.archived).toEqual(['2024-07', '2024-08']);
    expect(first.json.archive).toMatchObject({ state: 'available', start: { method: 'POST' } });
    const href = new URL(first.json.archive.start.href, 'http://api');
    expect(href.pathname).toBe('/events/archive');
    const started = await api.call('POST /events/archive', { query: Object.fromEntries(href.searchParams) });
    expect(started.status).toBe(202);
    const page = await api.call('GET /events', { query: { ...query, cursor: started.json.next } });
    const expected = before.filter((e) => e.occurredAt >= query.since && e.occurredAt < query.until);
    const served = [...first.json.events, ...page.json.events];
    expect(served.map((e: StoredEvent) => e.id)).toEqual(expected.map((e) => e.id));
    expect(first.json.events.length).toBeGreaterThan(0);
    expect(page.json.events.length).toBeGreaterThan(0);
    expect(page.json.next).toBeNull();
  });

  it('records every read, the archive job it starts included, before serving it', () => {
    const routes = api.queue
      .events()
      .filter((e) => e.type === 'audit.accessed')
      .map((e) => (e.payload as { route: string }).route);
    expect(routes).toContain('POST /entities/{type}/{id}/events/archive');
    expect(routes).toContain('POST /events/archive');
  });
});
