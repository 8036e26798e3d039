import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import type { QueryApiResult } from '../../shared/apps/query-api.ts';
import { QUERY_ROUTES } from '../../shared/core/access/policy.ts';
import { idleOperations } from '../ops/operations-fixture.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { apiEvent, type Call, queryApi } from './api-support.ts';
import { fixture, NOW } from './fixture.ts';
import { ROUTE_QUERY_PARAMETERS } from './route-parameters.ts';

/**
 * Every query route, through the real handler against real PostgreSQL, with hostile parameters: the answer is never
 * a 5xx, a thrown error or a cut stream, and a refusal names the parameter it refuses.
 */

let db: TestDatabase;
let reader: pg.Pool;
let streamed: ReturnType<typeof queryApi>;
let buffered: ReturnType<typeof queryApi>;

beforeAll(async () => {
  db = await createTestDatabase('query_hostile_input');
  await new PgEventStore(db.pool).insert(Object.values(fixture));
  reader = createPool({ connectionString: db.readerUrl, max: 2 });
  // GET /operations with a source: without one it is a 503 by design (test/ops/operations-route.int.test.ts).
  const operations = async () => idleOperations(NOW);
  streamed = queryApi(reader, () => NOW, { streamExports: true, operations });
  buffered = queryApi(reader, () => NOW, { operations });
});

afterAll(async () => {
  await reader?.end();
  await db?.drop();
});

/** Values known to have broken a route once, or near a limit of JavaScript, zod or PostgreSQL. */
const KNOWN = [
  '',
  '\u0000',
  'robot:r\u0000-1',
  '\ud800',
  'a\udfffb',
  '\ufffe',
  '\ufffd',
  '0000-01-01',
  '0000-12-31T23:59:59Z',
  '-000001-01-01T00:00:00Z',
  '+275760-09-13T00:00:00.000Z',
  '9999-12-31T23:59:59.999Z',
  '10000-01-01',
  '1970-01-01',
  '0001-01-01',
  '2026-02-30',
  '2026-05-01T24:00:00Z',
  '99999999999999999999d',
  '9007199254740993m',
  '1e400',
  '-1',
  'NaN',
  'Infinity',
  '0x10',
  '%zz',
  '%E0%A4%A',
  '%00',
  "'; DROP TABLE events; --",
  'robot:*',
  'user:',
  'iot:',
  'x'.repeat(10_000),
  '😀'.repeat(300),
  'a,b,,',
  '__proto__',
  'constructor',
];

/** Each route's own query parameters (most keys are these), and for a route that takes none, keys it must refuse. */
const ROUTE_PARAMETERS: Record<string, readonly string[]> = {
  ...ROUTE_QUERY_PARAMETERS,
  'GET /events/{id}/proof': ['id', 'treeSize'],
  'GET /openapi.json': ['format'],
  'GET /operations': ['since'],
};

const hostile = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...KNOWN) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom(...KNOWN), fc.string({ unit: 'binary', maxLength: 4 })).map(([a, b]) => a + b),
  },
  { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((date) => date.toISOString()) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String) },
);

/** Valid values of each parameter: a hostile value beside valid ones gets past the first check to the next. */
const VALID: Record<string, readonly string[]> = {
  entity: ['robot:r-1', 'bay:b-1'],
  type: ['robot.*', 'robot.online'],
  severity: ['ERROR,CRITICAL'],
  minSeverity: ['WARNING'],
  actor: ['user:alice'],
  source: ['iot:r-1', 'http'],
  since: ['7d', '2026-05-01T00:00:00Z', '2026-05-09'],
  until: ['1h', '2026-05-10T00:00:00Z'],
  q: ['stop'],
  order: ['asc'],
  limit: ['1', '1000'],
  interval: ['day', 'minute'],
  groupBy: ['type'],
  format: ['csv', 'json', 'ndjson'],
  title: ['Weekly'],
};

const value = (parameter: string) =>
  fc.oneof(
    { weight: 3, arbitrary: hostile },
    { weight: 2, arbitrary: fc.constantFrom(...(Object.hasOwn(VALID, parameter) ? VALID[parameter]! : ['x'])) },
  );

/** Up to four of the route's parameters, now and then an unknown one. */
const queryOf = (route: string) =>
  fc
    .uniqueArray(
      fc.oneof(
        { weight: 12, arbitrary: fc.constantFrom(...ROUTE_PARAMETERS[route]!) },
        { weight: 1, arbitrary: hostile },
      ),
      { maxLength: 4 },
    )
    .chain((keys) => fc.tuple(...keys.map((key) => value(key).map((v) => [key, v] as const))))
    .map((entries) => Object.fromEntries(entries) as Record<string, string>);

const requests = fc.constantFrom(...QUERY_ROUTES.filter((route) => route !== 'POST /views')).chain((route) =>
  fc.record({
    route: fc.constant(route),
    query: queryOf(route),
    role: fc.constantFrom('auditor', 'admin', 'operator'),
    type: fc.oneof(hostile, fc.constantFrom('robot', 'bay')),
    id: fc.oneof(hostile, fc.constantFrom('r-1', 'b-1')),
    name: hostile,
  }),
);

const PATH_PARAMETERS: Record<string, (r: { type: string; id: string; name: string }) => Record<string, string>> = {
  'GET /entities/{type}/{id}/events': ({ type, id }) => ({ type, id }),
  'POST /entities/{type}/{id}/events/archive': ({ type, id }) => ({ type, id }),
  'GET /events/{id}/proof': ({ id }) => ({ id }),
  'DELETE /views/{name}': ({ name }) => ({ name }),
};

/** What a client receives: the status, and the whole body (a streamed one read to its end). */
async function answer(api: ReturnType<typeof queryApi>, route: string, call: Call) {
  const result: QueryApiResult = await api.handler(apiEvent(route, call));
  let body = result.body ?? '';
  if (result.bodyStream) for await (const chunk of result.bodyStream) body += chunk;
  return { status: result.statusCode ?? 200, body, type: String(result.headers?.['content-type'] ?? '') };
}

function expectAnswered(response: { status: number; body: string; type: string }, label: string) {
  expect(response.status, label).toBeLessThan(500);
  if (response.status !== 400) return;
  const json = JSON.parse(response.body);
  expect(json.parameter, label).toEqual(expect.any(String));
  expect(json.error, label).toContain(json.parameter);
}

describe('hostile query parameters', () => {
  it('never answer 5xx, throw or cut a stream, on any route; a 400 names the parameter', async () => {
    await fc.assert(
      fc.asyncProperty(requests, async (request) => {
        const pathParameters = PATH_PARAMETERS[request.route]?.(request);
        const call: Call = { role: request.role, query: request.query, ...(pathParameters && { pathParameters }) };
        const label = JSON.stringify({ route: request.route, ...call });
        for (const api of request.route === 'GET /events/export' ? [streamed, buffered] : [streamed])
          expectAnswered(await answer(api, request.route, call), label);
      }),
      { numRuns: 600 },
    );
  }, 240_000);

  // The cases of issue 12, each on every route that takes the parameter.
  it.each([
    ['GET /events', { entity: 'robot:r\u0000' }, 'entity'],
    ['GET /events', { q: 'a\u0000' }, 'q'],
    ['GET /events', { since: '0000-01-01' }, 'since'],
    ['GET /events', { until: '0000-01-07' }, 'until'],
    ['GET /stats', { since: '0000-01-01' }, 'since'],
    ['GET /reports', { since: '0000-01-01' }, 'since'],
    ['GET /events/export', { since: '0000-01-01' }, 'since'],
    ['GET /events/export', { q: 'a\u0000' }, 'q'],
    ['GET /events', { since: '+275760-09-13T00:00:00.000Z' }, 'since'],
    ['GET /events', { limit: '1e400' }, 'limit'],
    ['GET /events/export', { q: 'x'.repeat(10_000) }, 'q'],
  ] as const)('%s %j answers 400 naming %s', async (route, query, parameter) => {
    for (const api of [streamed, buffered]) {
      const response = await answer(api, route, { query });
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body)).toMatchObject({ parameter, error: expect.stringContaining(parameter) });
    }
  });

  it.each([
    ['GET /entities/{type}/{id}/events', { type: 'robot', id: 'r\u0000-1' }, 'id'],
    ['GET /entities/{type}/{id}/events', { type: 'robot', id: '\ud800' }, 'id'],
    ['DELETE /views/{name}', { name: 'a\u0000' }, 'name'],
    ['DELETE /views/{name}', { name: 'x'.repeat(65) }, 'name'],
  ] as const)('%s with %j in the path answers 400 naming %s', async (route, pathParameters, parameter) => {
    const response = await answer(streamed, route, { pathParameters });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ parameter, error: expect.stringContaining(parameter) });
  });
});

describe('hostile saved-view bodies', () => {
  it.each([
    [{ name: 'n', filters: { q: 'a\u0000' } }, 'filters.q'],
    [{ name: 'n', filters: { entity: 'robot:\ud800' } }, 'filters.entity'],
    [{ name: 'n', filters: { since: '0000-01-01' } }, 'filters.since'],
    [{ name: 'a\u0000', filters: {} }, 'name'],
  ])('POST /views %j answers 400 naming %s', async (body, parameter) => {
    const { status, json } = await streamed.call('POST /views', { user: 'hostile', body });
    expect(status).toBe(400);
    expect(json).toMatchObject({ parameter, error: expect.stringContaining(parameter) });
  });
});
