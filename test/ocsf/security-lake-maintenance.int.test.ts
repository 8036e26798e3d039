import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDuckDb } from '../../shared/adapters/duckdb/duckdb.ts';
import { FileObjectStore } from '../../shared/adapters/files/file-store.ts';
import type { Month } from '../../shared/core/domain/month.ts';
import type { MaintenanceResult } from '../../shared/core/lifecycle/result.ts';
import { insertEvents, monthEvents, partitionNames } from '../lifecycle/fixture.ts';
import { runTrail } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const MONTHS: Month[] = [1, 2, 3].map((month) => ({ year: 2024, month }));
const PER_MONTH = 40;
const LAYOUT = (month: string) =>
  new RegExp(
    `^ext/fleet-audit-(api|auth|account|entity)/region=eu-west-1/accountId=123456789012/eventDay=${month.replace('-', '')}\\d\\d/fleet-audit-${month}-g1\\.parquet$`,
  );

let db: TestDatabase;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase('ocsf_maintenance');
  dir = await mkdtemp(join(tmpdir(), 'ocsf-maintenance-'));
  for (const month of MONTHS) await insertEvents(db.pool, monthEvents(month, PER_MONTH));
});
afterAll(async () => {
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** `trail …` against this file's database and archive, with the lake folder `lakeDir` (none: no lake configured). */
async function trail(lakeDir: string | undefined, ...argv: string[]) {
  vi.stubEnv('DATABASE_URL', db.url);
  vi.stubEnv('DATA_DIR', join(dir, 'data'));
  vi.stubEnv('ARCHIVE_URL', `file://${join(dir, 'archive')}`);
  vi.stubEnv('ARCHIVE_WORK_DIR', join(dir, 'work'));
  vi.stubEnv('SECURITY_LAKE_REGION', 'eu-west-1');
  vi.stubEnv('SECURITY_LAKE_ACCOUNT_ID', '123456789012');
  vi.stubEnv('SECURITY_LAKE_DIR', lakeDir);
  return runTrail(argv);
}

async function maintain(lakeDir: string | undefined, now: string): Promise<MaintenanceResult> {
  const { code, out, err } = await trail(lakeDir, 'maintain', '--now', now, '--json');
  expect(code, err).toBe(0);
  return JSON.parse(out);
}

/** The objects of `month` in a lake folder, each with the rows DuckDB reads from it. */
async function lakeObjects(root: string, month: string) {
  const store = new FileObjectStore(root);
  const keys = (await store.list('ext/')).map((o) => o.key).filter((key) => key.includes(`fleet-audit-${month}-`));
  const duck = await openDuckDb({ workDir: join(dir, 'duck') });
  try {
    const objects: { key: string; rows: number }[] = [];
    for (const key of keys) {
      const read = await duck.connection.runAndReadAll(
        `SELECT count(*)::INTEGER AS n FROM read_parquet('${store.pathOf(key)}', hive_partitioning = false)`,
      );
      objects.push({ key, rows: Number(read.getRowObjectsJson()[0]!.n) });
    }
    return objects;
  } finally {
    duck.close();
  }
}

async function exportRecord(month: string) {
  const { rows } = await db.pool.query(
    `SELECT generation, attempts, finished_at IS NOT NULL AS finished, objects, row_count::int AS rows, error
       FROM security_lake_exports WHERE month = $1::date`,
    [`${month}-01`],
  );
  return rows;
}

describe('maintenance derives OCSF for Security Lake after each archival (SECURITY_LAKE_DIR)', () => {
  const lake = () => join(dir, 'lake');
  const blocked = () => join(dir, 'blocked', 'lake');

  it('archives a month, then writes its OCSF objects in the custom-source layout and records them', async () => {
    const result = await maintain(lake(), '2025-03-15T08:00:00Z');
    expect(result.status).toBe('done');
    expect(result.dropped).toEqual(['2024-01']);
    expect(result.securityLake?.failed).toEqual([]);
    expect(result.securityLake?.derived.map((d) => [d.month, d.generation, d.rows])).toEqual([
      ['2024-01', 1, PER_MONTH],
    ]);

    const objects = await lakeObjects(lake(), '2024-01');
    expect(objects.length).toBe(result.securityLake?.derived[0]?.objects);
    for (const { key } of objects) expect(key).toMatch(LAYOUT('2024-01'));
    expect(objects.reduce((sum, o) => sum + o.rows, 0)).toBe(PER_MONTH);
    expect(await exportRecord('2024-01')).toEqual([
      { generation: 1, attempts: 1, finished: true, objects: objects.length, rows: PER_MONTH, error: null },
    ]);
  });

  it('a derivation that fails (the lake folder cannot be made) still archives and drops the month, and says so', async () => {
    await writeFile(join(dir, 'blocked'), 'a file where the lake folder would go');
    const result = await maintain(blocked(), '2025-04-15T08:00:00Z');
    expect(result.status).toBe('done');
    expect(result.archived.map((a) => a.month)).toEqual(['2024-02']);
    expect(result.dropped).toEqual(['2024-02']);
    expect(await partitionNames(db.pool)).not.toContain('events_2024_02');
    expect(result.securityLake?.derived).toEqual([]);
    expect(result.securityLake?.failed).toEqual([
      { month: '2024-02', generation: 1, error: expect.stringMatching(/ENOTDIR|EEXIST/) },
    ]);
    const [record] = await exportRecord('2024-02');
    expect(record).toMatchObject({ generation: 1, attempts: 1, finished: false, error: expect.any(String) });

    // Described for a person too, with the retry promised.
    const { code, out } = await trail(blocked(), 'maintain', '--now', '2025-04-15T08:00:00Z');
    expect(code).toBe(0);
    expect(out).toMatch(/security lake: 2024-02 generation 1 failed, retried next run: .*(ENOTDIR|EEXIST)/);
  });

  it('the next run, the folder writable again, derives the month it failed on, and the one after is a no-op', async () => {
    await rm(join(dir, 'blocked'));
    await mkdir(blocked(), { recursive: true });
    const result = await maintain(blocked(), '2025-04-15T08:00:00Z');
    expect(result.archived).toEqual([]);
    expect(result.securityLake?.derived.map((d) => [d.month, d.rows])).toEqual([['2024-02', PER_MONTH]]);
    expect(result.securityLake?.failed).toEqual([]);
    const objects = await lakeObjects(blocked(), '2024-02');
    for (const { key } of objects) expect(key).toMatch(LAYOUT('2024-02'));
    expect(objects.reduce((sum, o) => sum + o.rows, 0)).toBe(PER_MONTH);
    expect(await exportRecord('2024-02')).toEqual([
      { generation: 1, attempts: 3, finished: true, objects: objects.length, rows: PER_MONTH, error: null },
    ]);

    const again = await maintain(blocked(), '2025-04-15T08:00:00Z');
    expect(again.securityLake).toEqual({ destination: expect.any(String), derived: [], failed: [], waiting: 0 });
  });
});

describe('trail ocsf --month: a month archived before a lake was configured', () => {
  it('is not derived by maintenance without a lake, nor requested', async () => {
    const result = await maintain(undefined, '2025-05-15T08:00:00Z');
    expect(result.dropped).toEqual(['2024-03']);
    expect(result.securityLake).toBeUndefined();
    expect(await exportRecord('2024-03')).toEqual([]);
  });

  it('--out DIR writes it there, recorded as a read and not as an export', async () => {
    const out = join(dir, 'by-hand');
    const { code, out: printed, err } = await trail(undefined, 'ocsf', '--month', '2024-03', '--out', out, '--json');
    expect(code, err).toBe(0);
    const lines = printed
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const objects = await lakeObjects(out, '2024-03');
    expect(lines.map((l) => [l.key, l.rows])).toEqual(objects.map((o) => [o.key, o.rows]));
    for (const { key } of objects) expect(key).toMatch(LAYOUT('2024-03'));
    expect(objects.reduce((sum, o) => sum + o.rows, 0)).toBe(PER_MONTH);
    expect(await exportRecord('2024-03')).toEqual([]);
    const { rows } = await db.pool.query(
      `SELECT payload FROM events WHERE type = 'audit.accessed' AND payload->>'route' = 'trail ocsf'`,
    );
    expect(rows.map((r) => r.payload.filters.month)).toEqual(['2024-03']);
  });

  it('into the configured lake it is recorded, so maintenance leaves it', async () => {
    const { code, err } = await trail(join(dir, 'lake'), 'ocsf', '--month', '2024-03');
    expect(code, err).toBe(0);
    expect(err).toContain(`2024-03 generation 1: `);
    const objects = await lakeObjects(join(dir, 'lake'), '2024-03');
    expect(objects.reduce((sum, o) => sum + o.rows, 0)).toBe(PER_MONTH);
    expect(await exportRecord('2024-03')).toEqual([
      { generation: 1, attempts: 1, finished: true, objects: objects.length, rows: PER_MONTH, error: null },
    ]);
    const result = await maintain(join(dir, 'lake'), '2025-05-15T08:00:00Z');
    expect(result.securityLake?.derived).toEqual([]);
  });

  it('refuses a month with no verified archive, and a run with nowhere to write', async () => {
    const none = await trail(join(dir, 'lake'), 'ocsf', '--month', '2024-05');
    expect(none.code).toBe(1);
    expect(none.err).toContain('2024-05 has no archived generation verified against PostgreSQL');
    const nowhere = await trail(undefined, 'ocsf', '--month', '2024-03');
    expect(nowhere.code).toBe(1);
    expect(nowhere.err).toContain('give --out <dir>, or set SECURITY_LAKE_DIR or SECURITY_LAKE_BUCKET');
  });
});
