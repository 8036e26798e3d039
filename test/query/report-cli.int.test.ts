import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { main } from '../../shared/apps/cli/main.ts';
import { type LocalApi, startLocalApi } from '../../shared/apps/local/http-server.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { queryApi } from './api-support.ts';
import { fixture, NOW } from './fixture.ts';

let db: TestDatabase;
let reader: pg.Pool;
let server: LocalApi;
let api: ReturnType<typeof queryApi>;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase('query_report_cli');
  await new PgEventStore(db.pool).insert(Object.values(fixture));
  reader = createPool({ connectionString: db.readerUrl, max: 2 });
  api = queryApi(reader, () => NOW);
  server = await startLocalApi({
    port: 0,
    tokens: new Map([
      ['cli-auditor-token', { user: 'aude', role: 'auditor' }],
      ['cli-operator-token', { user: 'otto', role: 'operator' }],
    ]),
    routes: { 'GET /reports': api.handler },
  });
  dir = await mkdtemp(join(tmpdir(), 'trail-report-'));
});

afterAll(async () => {
  await server?.stop();
  await reader?.end();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  vi.unstubAllEnvs();
});

/** Runs `trail report …` with TRAIL_URL and TRAIL_TOKEN set as a user would set them. */
function runReport(argv: string[], env: { TRAIL_URL: string; TRAIL_TOKEN: string }) {
  vi.stubEnv('TRAIL_URL', env.TRAIL_URL);
  vi.stubEnv('TRAIL_TOKEN', env.TRAIL_TOKEN);
  return main(['report', ...argv]);
}

describe('trail report', () => {
  it('saves the report for the filters, read through the API (and audited)', async () => {
    const out = join(dir, 'report.html');
    const env = { TRAIL_URL: server.url, TRAIL_TOKEN: 'cli-auditor-token' };
    expect(await runReport(['--minSeverity', 'ERROR', '--title', 'Problems', '--out', out], env)).toBe(0);
    const page = await readFile(out, 'utf8');
    expect(page).toContain('<title>Problems</title>');
    expect(page).toContain('<strong>2</strong> events');
    expect(api.queue.events().at(-1)).toMatchObject({
      type: 'audit.accessed',
      actor: { type: 'user', id: 'aude' },
      payload: { route: 'GET /reports', filters: { minSeverity: 'ERROR', title: 'Problems' }, rows: 2 },
    });
  });

  it('fails with the API’s answer when the role may not report', async () => {
    const env = { TRAIL_URL: server.url, TRAIL_TOKEN: 'cli-operator-token' };
    expect(await runReport(['--out', join(dir, 'no.html')], env)).toBe(1);
  });
});
