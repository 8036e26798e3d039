import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { insertEvents, monthEvents } from '../lifecycle/fixture.ts';
import { runTrail } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let db: TestDatabase;
let dir: string;
const osUser = userInfo().username;

beforeAll(async () => {
  db = await createTestDatabase('cli_read_audit');
  dir = await mkdtemp(join(tmpdir(), 'trail-read-audit-'));
  await insertEvents(db.pool, monthEvents({ year: 2026, month: 1 }, 20));
});
afterAll(async () => {
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** `trail …` with no local stack running (DATA_DIR is empty): records go into DATABASE_URL, unless unset. */
async function trail(env: { databaseUrl?: string | undefined }, ...argv: string[]) {
  vi.stubEnv('DATABASE_URL', env.databaseUrl ?? '');
  vi.stubEnv('QUEUE_URL', '');
  vi.stubEnv('DATA_DIR', join(dir, 'data'));
  vi.stubEnv('ARCHIVE_URL', `file://${join(dir, 'archive')}`);
  vi.stubEnv('ARCHIVE_WORK_DIR', join(dir, 'work'));
  return runTrail(argv);
}

/** The audit records written since `after` (an id of events' count), oldest first. */
async function auditRecords() {
  const { rows } = await db.pool.query(
    `SELECT id::text, type, actor, source_channel, source_principal, source_client_id, payload FROM events
      WHERE type LIKE 'audit.%' ORDER BY received_at, id`,
  );
  return rows;
}

async function newRecords(run: () => Promise<unknown>) {
  const before = (await auditRecords()).length;
  await run();
  return (await auditRecords()).slice(before);
}

describe('CLI reads leave a record: who ran what, and how it ended', () => {
  it('trail archive query: the SQL, by the OS user, then the rows', async () => {
    let result: Awaited<ReturnType<typeof trail>> | undefined;
    const records = await newRecords(async () => {
      result = await trail({ databaseUrl: db.url }, 'archive', 'query', 'SELECT count(*) AS n FROM events', '--json');
    });
    expect(result).toMatchObject({ code: 0, out: '{"n":"0"}\n' });
    const [accessed, completed] = records;
    expect(accessed).toMatchObject({
      type: 'audit.accessed',
      actor: `user:${osUser}`,
      source_channel: 'internal',
      source_principal: osUser,
      source_client_id: 'trail-cli',
      payload: { route: 'trail archive query', filters: { sql: 'SELECT count(*) AS n FROM events' } },
    });
    expect(completed).toMatchObject({
      type: 'audit.access.completed',
      payload: { accessId: accessed.id, outcome: 'complete', rows: 1 },
    });
  });

  it('trail archive query "COPY … TO": refused, no file written, the attempt recorded as failed', async () => {
    const target = join(dir, 'exfiltrated.csv');
    let result: Awaited<ReturnType<typeof trail>> | undefined;
    const records = await newRecords(async () => {
      result = await trail({ databaseUrl: db.url }, 'archive', 'query', `COPY (SELECT * FROM events) TO '${target}'`);
    });
    expect(result!.code).toBe(1);
    expect(result!.out).toBe('');
    expect(result!.err).toMatch(/disabled by configuration/);
    expect(existsSync(target)).toBe(false);
    expect(records.map((r) => [r.type, r.payload.outcome])).toEqual([
      ['audit.accessed', undefined],
      ['audit.access.completed', 'failed'],
    ]);
  });

  it("trail archive query read_csv('/etc/passwd'): refused", async () => {
    const { code, out, err } = await trail(
      { databaseUrl: db.url },
      'archive',
      'query',
      "SELECT * FROM read_csv('/etc/passwd', sep = ':')",
    );
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(/Cannot access file "\/etc\/passwd"/);
  });

  it('trail archive named: the query and its parameters', async () => {
    const args = ['--entity_type', 'sensor', '--entity_id', 's-2', '--since', '2024-01-01', '--until', '2024-02-01'];
    const records = await newRecords(() =>
      trail({ databaseUrl: db.url }, 'archive', 'named', 'entity-events', ...args),
    );
    expect(records[0]).toMatchObject({
      type: 'audit.accessed',
      payload: {
        route: 'trail archive named',
        filters: { query: 'entity-events', entity_type: 'sensor', entity_id: 's-2' },
      },
    });
    expect(records[1].payload).toMatchObject({ outcome: 'complete', rows: 0 });
  });

  it('trail history: the entity and window, then the rows it printed', async () => {
    let result: Awaited<ReturnType<typeof trail>> | undefined;
    const args = ['--entity', 'sensor:s-2', '--since', '2026-01-01', '--until', '2026-02-01', '--json'];
    const records = await newRecords(async () => {
      result = await trail({ databaseUrl: db.url }, 'history', ...args);
    });
    expect(result!.code).toBe(0);
    const printed = result!.out.split('\n').filter(Boolean).length;
    expect(printed).toBeGreaterThan(0);
    expect(records[0].payload).toEqual({
      route: 'trail history',
      filters: { entity: 'sensor:s-2', since: '2026-01-01T00:00:00.000Z', until: '2026-02-01T00:00:00.000Z' },
    });
    expect(records[1].payload).toMatchObject({ outcome: 'complete', rows: printed });
  });
});

describe('a CLI read that cannot be recorded is not run', () => {
  it('trail history as a user who may not write events: refused, nothing printed', async () => {
    const args = ['--entity', 'sensor:s-2', '--since', '2026-01-01', '--until', '2026-02-01'];
    const records = await newRecords(async () => {
      const { code, out, err } = await trail({ databaseUrl: db.readerUrl }, 'history', ...args);
      expect(code).toBe(1);
      expect(out).toBe('');
      expect(err).toMatch(/not served: its audit record could not be written \(permission denied/);
    });
    expect(records).toEqual([]);
  });

  it('trail archive query with nowhere to record: refused', async () => {
    const { code, out, err } = await trail({}, 'archive', 'query', 'SELECT 1');
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(/cannot record who ran this read, so it is not run/);
  });
});
