import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { queryApi } from './api-support.ts';
import { fixture, NOW } from './fixture.ts';

let db: TestDatabase;
let reader: pg.Pool;
let api: ReturnType<typeof queryApi>;
let streaming: ReturnType<typeof queryApi>;
const f = fixture;

beforeAll(async () => {
  db = await createTestDatabase('query_export');
  await new PgEventStore(db.pool).insert(Object.values(fixture));
  reader = createPool({ connectionString: db.readerUrl, max: 2 });
  api = queryApi(reader, () => NOW);
  streaming = queryApi(reader, () => NOW, { streamExports: true });
});

afterAll(async () => {
  await reader?.end();
  await db?.drop();
});

async function streamed(query: Record<string, string>): Promise<string> {
  const { result } = await streaming.call('GET /events/export', { query });
  expect(result.statusCode).toBe(200);
  let text = '';
  for await (const chunk of result.bodyStream!) text += chunk;
  return text;
}

describe('GET /events/export', () => {
  it('CSV: a header row, one row per event, formula cells defused, a filename with the filter and window', async () => {
    const { result } = await api.call('GET /events/export', {
      query: { format: 'csv', entity: 'sensor:s-3', since: '2026-05-09T00:00:00Z', until: '2026-05-10T00:00:00Z' },
    });
    expect(result.headers).toMatchObject({
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': 'attachment; filename="audit-sensor_s-3-20260509T0000Z-20260510T0000Z.csv"',
    });
    const lines = String(result.body).split('\r\n');
    expect(lines[0]).toBe(
      'occurredAt,receivedAt,id,type,severity,entity,related,actor,sourceChannel,sourcePrincipal,payload,traceId,causationId',
    );
    expect(lines[1]).toContain(",iot,'=SUM(A1),");
    expect(lines[1]).toContain('"{""error"":""100% bad_frame""}"');
    expect(lines).toHaveLength(3);
  });

  it('JSON array and NDJSON hold the events as GET /events returns them', async () => {
    // A page says where each row was read from (storedIn); an export reads PostgreSQL only and holds the events alone.
    const page = (await api.call('GET /events')).json.events as (StoredEvent & { storedIn: string })[];
    expect(page.every((e) => e.storedIn === 'postgres')).toBe(true);
    const all = page.map(({ storedIn: _, ...event }) => event);
    const json = await api.call('GET /events/export', { query: { format: 'json' } });
    expect(JSON.parse(String(json.result.body))).toEqual(all);
    const ndjson = await streamed({ format: 'ndjson', order: 'asc' });
    expect(
      ndjson
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([...all].reverse());
    expect(JSON.parse(await streamed({ format: 'json', type: 'no.such' }))).toEqual([]);
  });

  it('is audited before the first byte (route, filters) and its outcome after (complete, rows sent)', async () => {
    const before = streaming.queue.events().length;
    await streamed({ format: 'csv', minSeverity: 'ERROR' });
    const [accessed, completed, ...more] = streaming.queue.events().slice(before);
    expect(more).toEqual([]);
    expect(accessed).toMatchObject({ type: 'audit.accessed', entity: { type: 'user', id: 'ann' } });
    expect(accessed!.payload).toEqual({
      route: 'GET /events/export',
      filters: { format: 'csv', minSeverity: 'ERROR' },
    });
    expect(completed).toMatchObject({
      type: 'audit.access.completed',
      entity: { type: 'user', id: 'ann' },
      source: { channel: 'internal', principal: 'ann' },
      payload: { accessId: accessed!.id, route: 'GET /events/export', outcome: 'complete', rows: 2 },
    });
  });

  it('names a bad format', async () => {
    expect((await api.call('GET /events/export', { query: { format: 'xlsx' } })).json).toMatchObject({
      parameter: 'format',
    });
  });
});

describe('GET /reports', () => {
  it('is a self-contained HTML report: window, filters, totals, top entities and actors, chart, CRITICAL in full', async () => {
    const { result } = await api.call('GET /reports', {
      query: { since: '2026-05-09T00:00:00Z', until: '2026-05-10T00:00:00Z', title: 'Weekly <b>audit</b>' },
    });
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['content-type']).toBe('text/html; charset=utf-8');
    const page = String(result.body);
    expect(page).toContain('<title>Weekly &lt;b&gt;audit&lt;/b&gt;</title>');
    expect(page).toContain('2026-05-09T00:00:00.000Z – 2026-05-10T00:00:00.000Z');
    expect(page).toContain('<strong>7</strong> events');
    expect(page).toMatch(/<td>robot:r-1<\/td><td class="n">2<\/td>/);
    expect(page).toMatch(/<td>device:r-1<\/td><td class="n">2<\/td>/);
    expect(page).toContain('<svg');
    expect(page).toContain('CRITICAL events (1)');
    expect(page).toContain(f.protocolError.id);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toMatch(/<script|<b>audit/);
    expect(page).not.toMatch(/(src|href)=/);
  });

  it('shows the filters it was made with, escaped', async () => {
    const { result } = await api.call('GET /reports', { query: { q: '"><img onerror=x>' } });
    expect(String(result.body)).toContain('<code>q</code> = &quot;&gt;&lt;img onerror=x&gt;');
  });
});

describe('saved views', () => {
  const view = { name: 'Robot r-1, problems', filters: { entity: 'robot:r-1', minSeverity: 'WARNING', since: '24h' } };

  it('are saved, listed and deleted per user', async () => {
    const saved = await api.call('POST /views', { user: 'vera', body: view });
    expect(saved.status).toBe(201);
    expect(saved.json).toMatchObject(view);
    expect((await api.call('POST /views', { user: 'vera', body: view })).status).toBe(409);
    expect((await api.call('GET /views', { user: 'vera' })).json.views).toEqual([saved.json]);
    expect((await api.call('GET /views', { user: 'walt' })).json.views).toEqual([]);
    const foreign = await api.call('DELETE /views/{name}', { user: 'walt', pathParameters: { name: view.name } });
    expect(foreign.status).toBe(404);
    const own = await api.call('DELETE /views/{name}', { user: 'vera', pathParameters: { name: view.name } });
    expect(own.status).toBe(204);
    expect((await api.call('GET /views', { user: 'vera' })).json.views).toEqual([]);
  });

  it('are checked as GET /events would check their filters', async () => {
    const cases: [unknown, string][] = [
      [{ name: 'x', filters: { severity: 'LOUD' } }, 'filters.severity'],
      [{ name: 'x', filters: { colour: 'red' } }, 'filters.colour'],
      [{ name: '', filters: {} }, 'name'],
      [{ name: 'a\u0007b', filters: {} }, 'name'],
      ['not an object', '(body)'],
    ];
    for (const [body, parameter] of cases) {
      const { status, json } = await api.call('POST /views', { body });
      expect(status, parameter).toBe(400);
      expect(json.parameter).toBe(parameter);
    }
  });

  it('store hostile names as data', async () => {
    const name = "x'); DROP TABLE saved_views; --";
    expect((await api.call('POST /views', { user: 'mal', body: { name, filters: {} } })).status).toBe(201);
    expect((await api.call('GET /views', { user: 'mal' })).json.views.map((v: { name: string }) => v.name)).toEqual([
      name,
    ]);
  });
});
