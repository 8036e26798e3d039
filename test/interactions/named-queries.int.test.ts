import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalArchiveQuery } from '../../shared/adapters/duckdb/local-query.ts';
import { FileObjectStore } from '../../shared/adapters/files/file-store.ts';
import { runMaintenance } from '../../shared/adapters/postgres/maintenance/maintain.ts';
import { bindNamedQuery, NAMED_QUERIES, type NamedQueryName } from '../../shared/core/archive/named-queries.ts';
import { createCatalog } from '../../shared/core/domain/catalog.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import type { QueueMessageBody } from '../../shared/core/ingest/packing.ts';
import type { Interaction } from '../../shared/core/interactions/interaction.ts';
import { QueueInteractionLog } from '../../shared/core/interactions/interaction-log.ts';
import type { ArchiveQueryEngine } from '../../shared/core/ports/archive-query.ts';
import { insertEvents } from '../lifecycle/fixture.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const DAY = Date.parse('2024-01-15T10:00:00.000Z');
const WINDOW = { since: '2024-01-15 00:00:00.000', until: '2024-01-16 00:00:00.000' };
type Caller = { user: string; roles: string[] } | undefined;
const audra: Caller = { user: 'audra', roles: ['auditor'] };
const alice: Caller = { user: 'alice', roles: ['admin'] };
const otto: Caller = { user: 'otto', roles: ['operator'] };

/** The day's traffic: [how many, route, status, caller, source IP]; requests 100 ms apart, in this order. */
const TRAFFIC: [number, string, number, Caller, string][] = [
  [1000, 'GET /events', 401, undefined, '203.0.113.7'],
  [20, 'GET /stats', 401, undefined, '198.51.100.1'],
  [30, 'GET /events', 200, audra, '10.0.0.5'],
  [5, 'GET /events', 400, audra, '10.0.0.5'],
  [10, 'POST /events', 202, alice, '10.0.0.9'],
  [2, 'POST /events', 413, alice, '10.0.0.9'],
  [3, 'GET /events/export', 403, otto, '10.0.0.7'],
  [7, 'GET /events', 200, otto, '10.0.0.7'],
  [1, 'GET /reports', 500, audra, '10.0.0.5'],
];

let db: TestDatabase;
let dir: string;
let archive: ArchiveQueryEngine;
let stored = 0;
const times = new Map<string, number[]>();

beforeAll(async () => {
  db = await createTestDatabase('interactions_named');
  dir = await mkdtemp(join(tmpdir(), 'interactions-'));
  // The log's records, as the writer would store them from the queue.
  const events: StoredEvent[] = [];
  const queue = {
    send: async (messages: readonly { body: string }[]) => {
      for (const m of messages) events.push(...(JSON.parse(m.body) as QueueMessageBody).events);
    },
  };
  const log = new QueueInteractionLog(queue, createCatalog(), () => new Date(DAY + 3_600_000));
  let ms = 0;
  for (const [n, route, status, principal, sourceIp] of TRAFFIC)
    for (let i = 0; i < n; i++, ms += 100) {
      const interaction: Interaction = {
        ...{ method: route.split(' ')[0]!, route, status, sourceIp, userAgent: 'test', requestId: `r-${ms}` },
        ...(principal && { principal }),
        durationMs: 3,
        at: new Date(DAY + ms),
      };
      if (status === 401) times.set(sourceIp, [...(times.get(sourceIp) ?? []), DAY + ms]);
      await log.record(interaction);
    }
  await log.drain();
  stored = events.length;
  await insertEvents(db.pool, events);
  // Archived as every month is: exported to Parquet past retention, then read through DuckDB.
  const store = new FileObjectStore(join(dir, 'archive'));
  const result = await runMaintenance(
    { pool: db.pool, store },
    { now: new Date('2025-04-15T08:00:00Z'), retentionMonths: 13, premakeMonths: 0, workDir: join(dir, 'work') },
  );
  expect(result.archived.find((a) => a.month === '2024-01')?.rows).toBe(stored);
  archive = await openLocalArchiveQuery(store.root, join(dir, 'query'));
});
afterAll(async () => {
  await archive?.close();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

const run = async (name: NamedQueryName) => {
  const { sql, values } = bindNamedQuery(NAMED_QUERIES[name], WINDOW);
  return (await archive.run(sql, values)).rows;
};
const total = (match: (row: (typeof TRAFFIC)[number]) => boolean) =>
  TRAFFIC.filter(match).reduce((sum, row) => sum + row[0], 0);
const stamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

describe('named queries over archived interaction records (DuckDB)', () => {
  it('the floods were stored as a few summaries, not one row per request', () => {
    const requests = total(() => true);
    expect(stored).toBeLessThan(requests - 1000);
  });

  it('api-error-rate-by-route: requests, client and server errors and the rate per route, worst first', async () => {
    const routes = [...new Set(TRAFFIC.map((row) => row[1]))];
    const expected = routes
      .map((route) => {
        const requests = total((r) => r[1] === route);
        const client = total((r) => r[1] === route && r[2] >= 400 && r[2] < 500);
        const server = total((r) => r[1] === route && r[2] >= 500);
        return { route, requests, client, server, rate: Math.round(((client + server) / requests) * 1e4) / 1e4 };
      })
      .sort((a, b) => b.rate - a.rate || b.requests - a.requests || a.route.localeCompare(b.route))
      .map((r) => [r.route, String(r.requests), String(r.client), String(r.server), String(r.rate)]);
    expect(await run('api-error-rate-by-route')).toEqual(expected);
  });

  it('api-failed-auth-by-ip: failures per source IP with first and last seen', async () => {
    expect(await run('api-failed-auth-by-ip')).toEqual(
      ['203.0.113.7', '198.51.100.1'].map((ip) => {
        const seen = times.get(ip)!;
        return [ip, String(seen.length), '1', stamp(seen[0]!), stamp(seen.at(-1)!)];
      }),
    );
  });

  it('api-calls-by-role: requests, refusals and callers per role', async () => {
    const roles = (caller: Caller) => (caller ? caller.roles.join(',') : 'unauthenticated');
    const expected = [...new Set(TRAFFIC.map((r) => roles(r[3])))]
      .map((role) => ({
        role,
        requests: total((r) => roles(r[3]) === role),
        refused: total((r) => roles(r[3]) === role && r[2] >= 400),
        principals: new Set(TRAFFIC.filter((r) => roles(r[3]) === role).map((r) => r[3]?.user ?? 'anonymous')).size,
      }))
      .sort((a, b) => b.requests - a.requests || a.role.localeCompare(b.role))
      .map((r) => [r.role, String(r.requests), String(r.refused), String(r.principals)]);
    expect(await run('api-calls-by-role')).toEqual(expected);
  });
});
