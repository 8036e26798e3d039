import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgProofStore } from '../../shared/adapters/postgres/log-proofs.ts';
import { PgQueryStore } from '../../shared/adapters/postgres/pg-query-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { PgSavedViews } from '../../shared/adapters/postgres/saved-views.ts';
import { type LocalApi, startLocalApi } from '../../shared/apps/local/http-server.ts';
import { createQueryApiHandler } from '../../shared/apps/query-api.ts';
import { createCatalog } from '../../shared/core/domain/catalog.ts';
import type { EventQueue } from '../../shared/core/ports/events.ts';
import type { QueryStore } from '../../shared/core/ports/query.ts';
import { QueueAccessAuditor } from '../../shared/core/query/access-auditor.ts';
import { hmacCursorSigner } from '../../shared/core/query/page-cursor.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { apiEvent, CapturingQueue, TEST_CURSOR_SECRET } from './api-support.ts';
import { insertLargeSensorEvents, NOW } from './fixture.ts';

/** Like the cut export: more rows than the connection's buffers hold. */
const ROWS = 8300;
let db: TestDatabase;
let reader: pg.Pool;

/** The store as the API uses it, counting the queries it runs: "nothing read" is a count of 0. */
function countingStore(pool: pg.Pool, failAfterPages = Number.POSITIVE_INFINITY) {
  const store = new PgQueryStore(pool);
  const counted = { reads: 0 };
  const wrapped: QueryStore = {
    page: async (...args) => {
      if (++counted.reads > failAfterPages) throw new Error('connection to the database lost');
      return store.page(...args);
    },
    stats: async (...args) => {
      counted.reads++;
      return store.stats(...args);
    },
    statsCoverage: async () => {
      counted.reads++;
      return store.statsCoverage();
    },
    totals: async (...args) => {
      counted.reads++;
      return store.totals(...args);
    },
    archivedMonths: async () => {
      counted.reads++;
      return store.archivedMonths();
    },
  };
  return { store: wrapped, counted };
}

/** A queue that is down: SQS unreachable. */
const downQueue: EventQueue = {
  send: async () => {
    throw new Error('getaddrinfo ENOTFOUND sqs.eu-west-1.amazonaws.com');
  },
};

function api(options: { queue?: EventQueue; streamExports?: boolean; failAfterPages?: number } = {}) {
  const { store, counted } = countingStore(reader, options.failAfterPages);
  const queue = new CapturingQueue();
  const handler = createQueryApiHandler({
    store,
    views: new PgSavedViews(reader),
    audit: new QueueAccessAuditor(options.queue ?? queue, createCatalog(), () => NOW),
    cursors: hmacCursorSigner(TEST_CURSOR_SECRET),
    clock: () => NOW,
    streamExports: options.streamExports ?? false,
    proofs: new PgProofStore(reader),
  });
  return { handler, queue, counted };
}

beforeAll(async () => {
  db = await createTestDatabase('query_read_audit');
  // ~2 KiB each, one a second from May 8: an export of about 17 MB.
  await insertLargeSensorEvents(db.pool, ROWS);
  reader = createPool({ connectionString: db.readerUrl, max: 2 });
}, 60_000);

afterAll(async () => {
  await reader?.end();
  await db?.drop();
});

describe('a read whose audit record could not be stored is refused with 400 before anything is read', () => {
  const cases: [string, string, Record<string, string>][] = [
    ['GET /reports', 'title', { title: 'Weekly\u0000report' }],
    ['GET /reports', 'title', { title: 'half \uD83D pair' }],
    ['GET /events', 'q', { q: 'x'.repeat(20_000) }],
    ['GET /events/export', 'actor', { actor: 'user:a\u0000' }],
    ['GET /stats', 'type', { type: 'robot.\uFFFE' }],
  ];
  it.each(cases)('%s with a bad %s', async (route, parameter, query) => {
    const { handler, queue, counted } = api({ streamExports: true });
    const result = await handler(apiEvent(route, { query }));
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(String(result.body))).toMatchObject({
      parameter,
      error: expect.stringMatching(/audit record could not be stored/),
    });
    expect(result.bodyStream).toBeUndefined();
    expect(counted.reads).toBe(0);
    expect(queue.events()).toEqual([]);
  });

  it('checks the path entity of a history read too', async () => {
    const { handler, counted } = api();
    const result = await handler(
      apiEvent('GET /entities/{type}/{id}/events', { pathParameters: { type: 'robot', id: 'r\u00001' } }),
    );
    expect(result.statusCode).toBe(400);
    expect(counted.reads).toBe(0);
  });
});

describe('a read whose audit record cannot be queued is refused with 503, nothing served', () => {
  it.each([
    ['GET /events', false],
    ['GET /stats', false],
    ['GET /reports', false],
    ['GET /events/export', false],
    ['GET /events/export', true],
  ] as const)('%s (streamed: %s)', async (route, streamExports) => {
    const { handler, counted } = api({ queue: downQueue, streamExports });
    const result = await handler(apiEvent(route, { query: { since: '2026-05-08T00:00:00Z' } }));
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBe('5');
    expect(JSON.parse(String(result.body)).error).toMatch(/not served: its audit record could not be written/);
    expect(result.bodyStream).toBeUndefined();
    // An export is recorded before it reads.
    if (route === 'GET /events/export') expect(counted.reads).toBe(0);
  });
});

describe('an export records its outcome', () => {
  let server: LocalApi;
  let streaming: ReturnType<typeof api>;

  beforeAll(async () => {
    streaming = api({ streamExports: true });
    server = await startLocalApi({
      port: 0,
      tokens: new Map([['t', { user: 'ann', role: 'auditor' }]]),
      routes: { 'GET /events/export': streaming.handler },
    });
  });
  afterAll(() => server?.stop());

  it('cut by the client: "cut", with the rows written to the connection', async () => {
    const before = streaming.queue.events().length;
    const response = await fetch(`${server.url}/events/export?format=ndjson&since=2026-05-08T00:00:00Z`, {
      headers: { authorization: 'Bearer t' },
    });
    expect(response.status).toBe(200);
    const body = response.body!.getReader();
    let received = '';
    while (received.split('\n').length < 500) received += new TextDecoder().decode((await body.read()).value);
    await body.cancel();
    const rowsReceived = received.split('\n').length - 1;

    let records = streaming.queue.events().slice(before);
    for (let i = 0; i < 100 && records.length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      records = streaming.queue.events().slice(before);
    }
    const [accessed, completed] = records;
    expect(accessed).toMatchObject({ type: 'audit.accessed', payload: { route: 'GET /events/export' } });
    expect(accessed!.payload).not.toHaveProperty('rows');
    expect(completed).toMatchObject({
      type: 'audit.access.completed',
      payload: { accessId: accessed!.id, outcome: 'cut', reason: expect.stringMatching(/connection closed/) },
    });
    const sent = (completed!.payload as { rows: number }).rows;
    expect(sent).toBeGreaterThanOrEqual(rowsReceived);
    expect(sent).toBeLessThan(ROWS);
  }, 30_000);

  it('failed mid-way: "failed", with the rows sent and why', async () => {
    const failing = api({ streamExports: true, failAfterPages: 2 });
    const result = await failing.handler(apiEvent('GET /events/export', { query: { since: '2026-05-08T00:00:00Z' } }));
    const chunks: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of result.bodyStream!) chunks.push(chunk);
      })(),
    ).rejects.toThrow(/connection to the database lost/);
    const [, completed] = failing.queue.events();
    expect(completed!.payload).toMatchObject({
      outcome: 'failed',
      rows: 2000,
      reason: 'connection to the database lost',
    });
  });

  it('complete: every row, and the outcome is queued before the last chunk', async () => {
    const complete = api({ streamExports: true });
    const query = { format: 'json', since: '2026-05-08T00:00:00Z' };
    const result = await complete.handler(apiEvent('GET /events/export', { query }));
    const chunks: string[] = [];
    let recordsAtLastChunk = 0;
    for await (const chunk of result.bodyStream!) {
      chunks.push(chunk);
      recordsAtLastChunk = complete.queue.events().length;
    }
    expect(recordsAtLastChunk).toBe(2);
    const [, completed] = complete.queue.events();
    const rows = (JSON.parse(chunks.join('')) as unknown[]).length;
    expect(completed!.payload).toMatchObject({ outcome: 'complete', rows });
  });
});
