import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { QUERY_ROUTES } from '../../shared/core/access/policy.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { queryApi } from './api-support.ts';
import { fixture, ids, NOW } from './fixture.ts';

let db: TestDatabase;
let reader: pg.Pool;
let api: ReturnType<typeof queryApi>;
const f = fixture;

beforeAll(async () => {
  db = await createTestDatabase('query_api');
  await new PgEventStore(db.pool).insert(Object.values(fixture));
  reader = createPool({ connectionString: db.readerUrl, max: 2 });
  api = queryApi(reader, () => NOW);
});

afterAll(async () => {
  await reader?.end();
  await db?.drop();
});

async function list(query: Record<string, string>, role = 'auditor'): Promise<StoredEvent[]> {
  const { status, json } = await api.call('GET /events', { query, role });
  expect(status, JSON.stringify(json)).toBe(200);
  return json.events;
}

describe('GET /events', () => {
  it('reads the default window (the last 7 days), newest first, and says which window it read', async () => {
    const { json } = await api.call('GET /events');
    expect(ids(json.events)).toEqual(
      ids([f.accessed, f.login, f.protocolError, f.decodeFailed, f.moved, f.offline, f.online]),
    );
    expect(json.window).toEqual({ since: '2026-05-03T12:15:00.000Z', until: '2026-05-10T12:15:00.000Z' });
    expect(json.next).toBeNull();
  });

  it('filters by entity (as subject or related), type or prefix, severity and minSeverity', async () => {
    expect(ids(await list({ entity: 'robot:r-1' }))).toEqual(ids([f.moved, f.offline, f.online]));
    expect(ids(await list({ type: 'robot.*' }))).toEqual(ids([f.offline, f.online]));
    expect(ids(await list({ type: 'robot.online' }))).toEqual(ids([f.online]));
    expect(ids(await list({ severity: 'error,CRITICAL' }))).toEqual(ids([f.protocolError, f.decodeFailed]));
    expect(ids(await list({ minSeverity: 'ERROR' }))).toEqual(ids([f.protocolError, f.decodeFailed]));
    expect(ids(await list({ severity: 'WARNING,ERROR', minSeverity: 'ERROR' }))).toEqual(ids([f.decodeFailed]));
  });

  it('filters by actor, source channel and principal, payload text, and id', async () => {
    expect(ids(await list({ actor: 'user:alice' }))).toEqual(ids([f.moved]));
    expect(ids(await list({ source: 'iot' }))).toEqual(ids([f.decodeFailed, f.offline, f.online]));
    expect(ids(await list({ source: 'http:alice' }))).toEqual(ids([f.moved]));
    expect(ids(await list({ q: 'E-STOP' }))).toEqual(ids([f.offline]));
    expect(ids(await list({ id: f.moved.id }))).toEqual(ids([f.moved]));
  });

  it('takes LIKE wildcards in q literally', async () => {
    expect(ids(await list({ q: '100%' }))).toEqual(ids([f.decodeFailed]));
    expect(ids(await list({ q: '%' }))).toEqual(ids([f.decodeFailed]));
    expect(ids(await list({ q: 'bad_' }))).toEqual(ids([f.decodeFailed]));
    expect(await list({ q: 'b_d' })).toEqual([]);
  });

  it('orders oldest first on request', async () => {
    expect(ids(await list({ entity: 'robot:r-1', order: 'asc' }))).toEqual(ids([f.online, f.offline, f.moved]));
  });

  it('reads forward from since (at most 93 days), and refuses a wider window', async () => {
    expect(ids(await list({ entity: 'robot:r-1', since: '2026-04-01T00:00:00Z', order: 'asc' }))[0]).toBe(
      f.lastMonth.id,
    );
    const wide = await api.call('GET /events', {
      query: { since: '2026-01-01T00:00:00Z', until: '2026-05-01T00:00:00Z' },
    });
    expect(wide.status).toBe(400);
    expect(wide.json).toMatchObject({ parameter: 'since', error: expect.stringMatching(/93 days/) });
  });

  it('names the offending parameter and why', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ entity: 'robot' }, 'entity'],
      [{ type: "robot.online' OR '1'='1" }, 'type'],
      [{ severity: 'LOUD' }, 'severity'],
      [{ minSeverity: 'error; DROP TABLE events' }, 'minSeverity'],
      [{ actor: "alice' --" }, 'actor'],
      [{ source: 'smtp' }, 'source'],
      [{ since: 'yesterday' }, 'since'],
      [{ until: '2026-13-01' }, 'until'],
      [{ q: 'x'.repeat(201) }, 'q'],
      [{ id: '1 OR 1=1' }, 'id'],
      [{ order: 'sideways' }, 'order'],
      [{ limit: '1001' }, 'limit'],
      [{ cursor: 'bm90IGEgY3Vyc29y' }, 'cursor'],
      [{ colour: 'red' }, 'colour'],
    ];
    for (const [query, parameter] of cases) {
      const { status, json } = await api.call('GET /events', { query });
      expect(status, parameter).toBe(400);
      expect(json.parameter).toBe(parameter);
      expect(json.error).toContain(parameter);
    }
  });

  it('treats hostile text as data: SQL in q matches nothing and harms nothing', async () => {
    expect(await list({ q: "'; DROP TABLE events; --" })).toEqual([]);
    expect(await list({ q: '\\' })).toEqual([]);
    expect((await list({})).length).toBe(7);
  });

  it('pages with a cursor pinned to its window and filters', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const { json }: { json: { events: StoredEvent[]; next: string | null } } = await api.call('GET /events', {
        query: { since: '7d', limit: '3', ...(cursor && { cursor }) },
      });
      seen.push(...ids(json.events));
      cursor = json.next ?? undefined;
    } while (cursor);
    expect(seen).toEqual(ids(await list({ limit: '100' })));

    const first = await api.call('GET /events', { query: { limit: '2' } });
    const replayed = await api.call('GET /events', { query: { limit: '2', type: 'robot.*', cursor: first.json.next } });
    expect(replayed.status).toBe(400);
    expect(replayed.json).toMatchObject({ parameter: 'cursor', error: expect.stringMatching(/other filters/) });
  });
});

describe('access control', () => {
  it('hides user.* and audit.* events from operators, in SQL', async () => {
    const operatorView = await list({}, 'operator');
    expect(operatorView.map((e) => e.type)).not.toContain('user.login');
    expect(operatorView.map((e) => e.type)).not.toContain('audit.accessed');
    expect(operatorView).toHaveLength(5);
    expect(await list({ type: 'user.*' }, 'operator')).toEqual([]);
    expect(await list({ id: f.login.id }, 'operator')).toEqual([]);
    expect(ids(await list({ id: f.login.id }, 'admin'))).toEqual([f.login.id]);
  });

  it('answers 401 without credentials and 403 to devices on every route', async () => {
    for (const route of QUERY_ROUTES) {
      expect((await api.call(route, { role: 'device' })).status, route).toBe(403);
      const anonymous = await api.handler({
        routeKey: route,
        requestContext: {},
      } as unknown as Parameters<typeof api.handler>[0]);
      expect(anonymous.statusCode, route).toBe(401);
    }
  });

  it('lets operators read but not export or report', async () => {
    expect((await api.call('GET /events/export', { role: 'operator' })).status).toBe(403);
    expect((await api.call('GET /reports', { role: 'operator' })).status).toBe(403);
    expect((await api.call('GET /stats', { role: 'operator' })).status).toBe(200);
  });

  it('keeps audit_reader read-only on events', async () => {
    await expect(reader.query('DELETE FROM events')).rejects.toThrow(/permission denied/);
    await expect(reader.query("UPDATE saved_views SET name = 'x'")).rejects.toThrow(/permission denied/);
  });
});

describe('reading is audited', () => {
  it('puts an audit.accessed event on the queue: who, route, filters, rows', async () => {
    const before = api.queue.events().length;
    await api.call('GET /events', { user: 'carol', role: 'auditor', query: { entity: 'robot:r-1', limit: '50' } });
    const [record] = api.queue.events().slice(before);
    expect(record).toMatchObject({
      type: 'audit.accessed',
      severity: 'INFO',
      entity: { type: 'user', id: 'carol' },
      actor: { type: 'user', id: 'carol' },
      source: { channel: 'internal', principal: 'carol', ip: '10.0.0.9' },
      payload: { route: 'GET /events', filters: { entity: 'robot:r-1', limit: '50' }, rows: 3 },
    });
  });

  it('does not audit refused requests (nothing was read)', async () => {
    const before = api.queue.events().length;
    await api.call('GET /events', { query: { severity: 'LOUD' } });
    await api.call('GET /events', { role: 'device' });
    expect(api.queue.events().length).toBe(before);
  });
});

describe('GET /entities/{type}/{id}/events', () => {
  it("is the entity's history, related events included", async () => {
    const { status, json } = await api.call('GET /entities/{type}/{id}/events', {
      pathParameters: { type: 'bay', id: 'b-1' },
    });
    expect(status).toBe(200);
    expect(ids(json.events)).toEqual(ids([f.protocolError, f.moved]));
    expect(api.queue.events().at(-1)?.payload).toMatchObject({ filters: { entity: 'bay:b-1' }, rows: 2 });
  });

  it('refuses a bad path or an entity parameter', async () => {
    const bad = await api.call('GET /entities/{type}/{id}/events', { pathParameters: { type: 'Robot!', id: 'r 1' } });
    expect(bad.status).toBe(400);
    const twice = await api.call('GET /entities/{type}/{id}/events', {
      pathParameters: { type: 'robot', id: 'r-1' },
      query: { entity: 'robot:r-2' },
    });
    expect(twice.json).toMatchObject({ parameter: 'entity' });
  });
});

describe('GET /stats', () => {
  it('counts per hour by severity, in UTC buckets', async () => {
    const { json } = await api.call('GET /stats', {
      query: { since: '2026-05-09T00:00:00Z', until: '2026-05-10T00:00:00Z' },
    });
    expect(json).toMatchObject({ interval: 'hour', groupBy: 'severity', truncated: false });
    expect(json.rows).toContainEqual({ bucket: '2026-05-09T14:00:00.000Z', key: 'CRITICAL', count: 1 });
    expect(json.rows.reduce((sum: number, row: { count: number }) => sum + row.count, 0)).toBe(7);
  });

  it('groups by type or entity per day', async () => {
    const byEntity = await api.call('GET /stats', { query: { interval: 'day', groupBy: 'entity' } });
    expect(byEntity.json.rows).toContainEqual({ bucket: '2026-05-09T00:00:00.000Z', key: 'robot:r-1', count: 2 });
    const byType = await api.call('GET /stats', { query: { interval: 'day', groupBy: 'type', type: 'robot.*' } });
    expect(byType.json.rows).toHaveLength(2);
  });

  it('refuses too many buckets and unknown groupings', async () => {
    expect((await api.call('GET /stats', { query: { interval: 'minute' } })).json).toMatchObject({
      parameter: 'interval',
    });
    expect((await api.call('GET /stats', { query: { groupBy: 'payload' } })).json).toMatchObject({
      parameter: 'groupBy',
    });
  });
});

describe('GET /openapi.json', () => {
  it('describes every route, with the parameters of the zod schemas', async () => {
    const { json } = await api.call('GET /openapi.json', { role: 'operator' });
    expect(json.openapi).toBe('3.1.0');
    for (const route of QUERY_ROUTES) {
      const [method, path] = route.split(' ') as [string, string];
      expect(json.paths[path]?.[method.toLowerCase()], route).toBeDefined();
    }
    const names = json.paths['/events'].get.parameters.map((p: { name: string }) => p.name);
    expect(names).toEqual(
      expect.arrayContaining(['entity', 'type', 'severity', 'minSeverity', 'actor', 'source', 'q', 'order', 'cursor']),
    );
  });
});
