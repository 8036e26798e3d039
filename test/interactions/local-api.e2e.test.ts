import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../shared/apps/local/stack.ts';
import { MAX_REQUEST_BYTES } from '../../shared/core/ingest/http-body.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestStack } from '../support/local-stack.ts';

const AUDITOR = 'auditor-token-interactions';
const OPERATOR = 'operator-token-interactions';
const ADMIN = 'admin-token-interactions';

let db: TestDatabase;
let stack: LocalStack;

beforeAll(async () => {
  db = await createTestDatabase('interactions_local_api');
  stack = await startTestStack(db.url, `${AUDITOR}=audra:auditor,${OPERATOR}=otto:operator,${ADMIN}=alice:admin`);
});
afterAll(async () => {
  await stack?.stop();
  await db?.drop();
});

/** Each case sends its own user agent, so its record is found by it. */
function call(path: string, agent: string, init: RequestInit & { token?: string } = {}) {
  const { token, ...rest } = init;
  return fetch(`${stack.httpUrl}${path}`, {
    ...rest,
    headers: {
      'user-agent': agent,
      ...(token && { authorization: `Bearer ${token}` }),
      ...(rest.body !== undefined && { 'content-type': 'application/json' }),
    },
  });
}

interface Row {
  severity: string;
  entity_type: string;
  entity_id: string;
  actor: string;
  source_channel: string;
  source_principal: string;
  source_ip: string;
  payload: Record<string, unknown>;
}

async function recordsOf(agent: string, atLeast = 1): Promise<Row[]> {
  const read = async () =>
    (
      await db.pool.query<Row>(
        `SELECT severity, entity_type, entity_id, actor, source_channel, source_principal, source_ip, payload
           FROM events WHERE type = 'audit.api.request' AND payload->>'userAgent' = $1 ORDER BY occurred_at, id`,
        [agent],
      )
    ).rows;
  await expect.poll(async () => (await read()).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(atLeast);
  return read();
}

const requestFields = {
  requestId: expect.stringMatching(/^local-[0-9a-f-]{36}$/),
  durationMs: expect.any(Number),
  firstAt: expect.any(String),
  lastAt: expect.any(String),
  sourceIp: '127.0.0.1',
  count: 1,
};

describe('the local API records every request as an audit.api.request event', () => {
  it('a 401 for a bad token: no principal, route key, source IP, user agent, request id, duration', async () => {
    const response = await call('/events?severity=ERROR', 'case-401', { token: 'not-a-token' });
    expect(response.status).toBe(401);
    const [row] = await recordsOf('case-401');
    expect(row).toMatchObject({
      severity: 'WARNING',
      entity_type: 'route',
      entity_id: 'GET_/events',
      actor: 'service:anonymous',
      source_channel: 'internal',
      source_principal: 'anonymous',
      source_ip: '127.0.0.1',
      payload: {
        ...requestFields,
        method: 'GET',
        route: 'GET /events',
        status: 401,
        principal: null,
        roles: 'unauthenticated',
        userAgent: 'case-401',
      },
    });
    expect(row!.payload).not.toHaveProperty('path');
  });

  it('a 403 (an operator exporting), with the principal and role', async () => {
    expect((await call('/events/export', 'case-403', { token: OPERATOR })).status).toBe(403);
    const [row] = await recordsOf('case-403');
    expect(row).toMatchObject({
      actor: 'user:otto',
      source_principal: 'otto',
      entity_id: 'GET_/events/export',
      payload: { ...requestFields, status: 403, principal: 'otto', roles: 'operator', route: 'GET /events/export' },
    });
  });

  it('a 400 on a route with a path parameter names the route key, not the path with its ids', async () => {
    const response = await call('/entities/robot/r-17/events?since=yesterday-ish', 'case-400', { token: AUDITOR });
    expect(response.status).toBe(400);
    const [row] = await recordsOf('case-400');
    expect(row).toMatchObject({
      entity_id: 'GET_/entities/{type}/{id}/events',
      payload: { ...requestFields, status: 400, route: 'GET /entities/{type}/{id}/events', principal: 'audra' },
    });
    expect(JSON.stringify(row!.payload)).not.toContain('r-17');
  });

  it('a 413 and a 202 on POST /events', async () => {
    const big = JSON.stringify({
      type: 'robot.online',
      entity: { type: 'robot', id: 'r-1' },
      payload: { pad: 'x'.repeat(MAX_REQUEST_BYTES) },
    });
    expect((await call('/events', 'case-413', { method: 'POST', body: big, token: ADMIN })).status).toBe(413);
    const ok = JSON.stringify({ type: 'robot.online', entity: { type: 'robot', id: 'r-1' } });
    expect((await call('/events', 'case-202', { method: 'POST', body: ok, token: ADMIN })).status).toBe(202);
    const [tooLarge] = await recordsOf('case-413');
    const [accepted] = await recordsOf('case-202');
    expect(tooLarge).toMatchObject({
      severity: 'WARNING',
      payload: { method: 'POST', route: 'POST /events', status: 413 },
    });
    expect(accepted).toMatchObject({
      severity: 'INFO',
      actor: 'user:alice',
      payload: { ...requestFields, method: 'POST', route: 'POST /events', status: 202, roles: 'admin' },
    });
  });

  it('a 404 for a path no route matches records the path, as there is no route key', async () => {
    expect((await call('/admin/.env', 'case-404', { token: AUDITOR })).status).toBe(404);
    const [row] = await recordsOf('case-404');
    expect(row).toMatchObject({
      entity_id: '(unmatched)',
      payload: { status: 404, route: '(unmatched)', path: '/admin/.env', principal: null },
    });
  });

  it('a hostile user agent is stored with its control characters replaced and its length capped, not refused', async () => {
    const agent = `evil\tagent ${'y'.repeat(2000)}`;
    expect((await call('/views', agent)).status).toBe(401);
    await expect
      .poll(
        async () => (await db.pool.query(`SELECT 1 FROM events WHERE payload->>'userAgent' LIKE 'evil%'`)).rowCount,
        {
          timeout: 15_000,
        },
      )
      .toBe(1);
    const { rows } = await db.pool.query<{ agent: string }>(
      `SELECT payload->>'userAgent' AS agent FROM events WHERE payload->>'userAgent' LIKE 'evil%'`,
    );
    expect(rows[0]!.agent.startsWith('evil\uFFFDagent yyy')).toBe(true);
    expect([...rows[0]!.agent]).toHaveLength(512);
  });

  it('a flood of 1,000 identical 401s from one source leaves a few records whose counts add up to 1,000', async () => {
    const flood = Array.from({ length: 1000 }, (_, i) => i);
    for (let i = 0; i < flood.length; i += 50)
      await Promise.all(
        flood.slice(i, i + 50).map(async () => {
          const response = await call('/stats', 'flood', { token: 'stolen-or-guessed' });
          await response.arrayBuffer();
          expect(response.status).toBe(401);
        }),
      );
    // The summaries of the current minute are written when it ends, or on stop: stop, so the test need not wait.
    await stack.stop();
    const { rows } = await db.pool.query<{ count: number; status: number }>(
      `SELECT (payload->>'count')::int AS count, (payload->>'status')::int AS status
         FROM events WHERE type = 'audit.api.request' AND payload->>'userAgent' = 'flood'`,
    );
    // Two per clock minute the flood touched: its first failure, then the summary of the rest.
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.length).toBeLessThanOrEqual(4);
    expect(rows.every((row) => row.status === 401)).toBe(true);
    expect(rows.reduce((sum, row) => sum + row.count, 0)).toBe(1000);
  });
});
