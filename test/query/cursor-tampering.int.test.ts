import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { storedEvent } from '../support/events.ts';
import { queryApi } from './api-support.ts';
import { NOW } from './fixture.ts';

let db: TestDatabase;
let reader: pg.Pool;
let api: ReturnType<typeof queryApi>;

const entity = { type: 'robot', id: 'c-1' };
const query = { entity: 'robot:c-1', limit: '2' };

beforeAll(async () => {
  db = await createTestDatabase('query_cursor_tampering');
  const hour = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();
  await new PgEventStore(db.pool).insert([1, 2, 3, 4, 5].map((h) => storedEvent({ entity, occurredAt: hour(h) })));
  reader = createPool({ connectionString: db.readerUrl, max: 2 });
  api = queryApi(reader, () => NOW);
});

afterAll(async () => {
  await reader?.end();
  await db?.drop();
});

async function firstCursor(user = 'ann'): Promise<string> {
  const { status, json } = await api.call('GET /events', { user, query });
  expect(status).toBe(200);
  expect(json.next).toEqual(expect.any(String));
  return json.next;
}

/** The cursor's JSON edited by a client, everything after its first "." (the signature, if any) kept as it was. */
function edited(cursor: string, fields: Record<string, unknown>): string {
  const [body, ...rest] = cursor.split('.');
  const json = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8'));
  return [Buffer.from(JSON.stringify({ ...json, ...fields })).toString('base64url'), ...rest].join('.');
}

const next = (cursor: string, user = 'ann') => api.call('GET /events', { user, query: { ...query, cursor } });

describe('paging cursors are signed and bound to their request', () => {
  it('a valid cursor still pages, through every event exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const { status, json } = await api.call('GET /events', { query: { ...query, ...(cursor && { cursor }) } });
      expect(status).toBe(200);
      seen.push(...json.events.map((e: { id: string }) => e.id));
      cursor = json.next ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
  });

  it('refuses the window widened in the cursor, filters kept (the 36,525-day read of issue 12)', async () => {
    const cursor = await firstCursor();
    const recorded = api.queue.messages.length;
    const widened = edited(cursor, {
      since: '1926-05-10T12:00:00.000Z',
      until: '2026-05-10T12:00:00.000Z',
    });
    const { status, json } = await next(widened);
    expect(status).toBe(400);
    expect(json).toMatchObject({ parameter: 'cursor', error: expect.stringMatching(/signature does not match/) });
    // Nothing was read, so nothing was recorded (a 200 would have queued an audit.accessed event).
    expect(api.queue.messages.length).toBe(recorded);
  });

  it('refuses a cursor with one byte of its position changed (still a well-formed cursor)', async () => {
    const cursor = await firstCursor();
    const { state } = JSON.parse(Buffer.from(cursor.split('.')[0]!, 'base64url').toString('utf8'));
    const { id } = state.after;
    const moved = edited(cursor, {
      state: { ...state, after: { ...state.after, id: id.slice(0, -1) + (id.endsWith('0') ? '1' : '0') } },
    });
    const { status, json } = await next(moved);
    expect(status).toBe(400);
    expect(json).toMatchObject({ parameter: 'cursor', error: expect.stringMatching(/signature does not match/) });
  });

  it("refuses another user's cursor, even with the same filters", async () => {
    const { status, json } = await next(await firstCursor('ann'), 'bob');
    expect(status).toBe(400);
    expect(json).toMatchObject({
      parameter: 'cursor',
      error: 'cursor: was issued to another user; start again without a cursor',
    });
  });

  it("refuses a cursor from another deployment's secret", async () => {
    const other = queryApi(reader, () => NOW, { cursorSecret: 'another-deployment-cursor-secret-987654' });
    const foreign = (await other.call('GET /events', { query })).json.next;
    const { status, json } = await next(foreign);
    expect(status).toBe(400);
    expect(json).toMatchObject({ parameter: 'cursor', error: expect.stringMatching(/another deployment/) });
  });

  it('refuses a cursor replayed with another order', async () => {
    const { status, json } = await api.call('GET /events', {
      query: { ...query, order: 'asc', cursor: await firstCursor() },
    });
    expect(status).toBe(400);
    expect(json).toMatchObject({
      parameter: 'cursor',
      error: expect.stringMatching(/other filters, another route or another order/),
    });
  });
});
