import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Month } from '../../shared/core/domain/month.ts';
import { insertEvents, monthEvents } from '../lifecycle/fixture.ts';
import { runTrail } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const MONTHS: Month[] = [
  { year: 2024, month: 1 },
  { year: 2024, month: 2 },
  { year: 2024, month: 3 },
];
const PER_MONTH = 60;

let db: TestDatabase;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase('cli_lifecycle');
  dir = await mkdtemp(join(tmpdir(), 'trail-cli-'));
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

/** `trail …` against this file's database and archive folder: its exit code and what it printed. */
async function trail(...argv: string[]) {
  vi.stubEnv('DATABASE_URL', db.url);
  vi.stubEnv('ARCHIVE_URL', `file://${join(dir, 'archive')}`);
  vi.stubEnv('ARCHIVE_WORK_DIR', join(dir, 'work'));
  return runTrail(argv);
}

const lines = (text: string) => text.split('\n').filter(Boolean);

describe('trail maintain, archive and history against PostgreSQL and a local archive', () => {
  it('trail maintain --now … --json archives the months past retention and prints the run', async () => {
    const { code, out } = await trail('maintain', '--now', '2025-03-15T08:00:00Z', '--json');
    expect(code).toBe(0);
    const result = JSON.parse(out);
    expect(result.status).toBe('done');
    expect(result.archived.map((a: { month: string; rows: number }) => [a.month, a.rows])).toEqual([
      ['2024-01', PER_MONTH],
    ]);
  });

  it('trail archive run at the same instant is a no-op, described in lines', async () => {
    const { code, out } = await trail('archive', 'run', '--now', '2025-03-15T08:00:00Z');
    expect(code).toBe(0);
    expect(out).toContain('maintenance as of 2025-03-15T08:00:00.000Z: done');
    expect(out).not.toContain('archived:');
  });

  it('trail archive status lists the recorded steps', async () => {
    const { code, out, err } = await trail('archive', 'status');
    expect(code).toBe(0);
    const [header, ...rows] = lines(out);
    expect(header).toBe('month\tgeneration\tstep\trows\tfiles\tfinished_at\terror');
    expect(rows.map((row) => row.split('\t').slice(0, 3).join(' '))).toEqual(
      ['export', 'manifest', 'verify', 'detach', 'drop'].map((step) => `2024-01 1 ${step}`),
    );
    expect(err).toBe('(5 rows)\n');
  });

  it('trail archive query and named query the archived month', async () => {
    const query = await trail('archive', 'query', 'SELECT count(*) AS n FROM events', '--json');
    expect(query.code).toBe(0);
    expect(JSON.parse(query.out)).toEqual({ n: String(PER_MONTH) });

    const args = ['--entity_type', 'sensor', '--entity_id', 's-2', '--since', '2024-01-01', '--until', '2024-02-01'];
    const named = await trail('archive', 'named', 'entity-events', ...args, '--json');
    expect(named.code).toBe(0);
    const rows = lines(named.out).map((line) => JSON.parse(line));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.entity_type === 'sensor' && row.entity_id === 's-2')).toBe(true);
  });

  it('trail history merges the archive and PostgreSQL, newest first', async () => {
    const { code, out } = await trail('history', '--entity', 'sensor:s-2', '--since', '2024-01-01', '--json');
    expect(code).toBe(0);
    const rows = lines(out).map((line) => JSON.parse(line));
    expect(new Set(rows.map((row) => row.source))).toEqual(new Set(['archive', 'postgres']));
    const times = rows.map((row) => row.occurredAt);
    expect(times).toEqual([...times].sort().reverse());
  });
});
