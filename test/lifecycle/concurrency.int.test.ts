import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureArchiveExport } from '../../bench/archive-export.ts';
import { measureMaintenanceStall } from '../../bench/maintenance-stall.ts';
import { FileObjectStore } from '../../shared/adapters/files/file-store.ts';
import { runMaintenance } from '../../shared/adapters/postgres/maintenance/maintain.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { insertEvents, monthEvents, partitionNames } from './fixture.ts';

describe('overlapping maintenance runs', () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase('lifecycle_overlap');
    dir = await mkdtemp(join(tmpdir(), 'overlap-'));
  });
  afterAll(async () => {
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('one run works, the other skips; the end state is that of one run', async () => {
    for (const month of [1, 2, 3]) await insertEvents(db.pool, monthEvents({ year: 2023, month }, 400));
    const store = new FileObjectStore(join(dir, 'archive'));
    const run = (n: number) =>
      runMaintenance(
        { pool: db.pool, store },
        {
          now: new Date('2024-04-10Z'),
          retentionMonths: 13,
          premakeMonths: 2,
          workDir: join(dir, `work-${n}`),
          rowsPerFile: 100,
        },
      );
    const results = await Promise.all([run(1), run(2), run(3)]);
    expect(results.map((r) => r.status).sort()).toEqual(['done', 'skipped', 'skipped']);
    const done = results.find((r) => r.status === 'done')!;
    expect(done.archived.map((a) => a.month)).toEqual(['2023-01', '2023-02']);
    expect(await partitionNames(db.pool)).toEqual([
      'events_2023_03',
      ...['04', '05', '06', '07', '08', '09', '10', '11', '12'].map((m) => `events_2023_${m}`),
      'events_2024_01',
      'events_2024_02',
      'events_2024_03',
      'events_2024_04',
      'events_2024_05',
      'events_2024_06',
    ]);
    const again = await run(4);
    expect(again).toMatchObject({ status: 'done', created: [], archived: [] });
  });
});

describe('writers during maintenance', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('lifecycle_stall');
  });
  afterAll(() => db?.drop());

  it('an insert never waits long while months are created, detached and dropped', async () => {
    const measured = await measureMaintenanceStall({ pool: db.pool, rowsPerMonth: 3000 });
    console.log('maintenance stall', measured);
    expect(measured.inserts).toBeGreaterThan(5);
    expect(measured.max_writer_stall_ms).toBeLessThan(2000);
  });

  it('measures export throughput and bytes per row', async () => {
    await insertEvents(db.pool, monthEvents({ year: 2031, month: 3 }, 3000));
    const measured = await measureArchiveExport({ pool: db.pool, month: { year: 2031, month: 3 }, rowsPerFile: 1000 });
    console.log('archive export', measured);
    expect(measured.rows).toBe(3000);
    expect(measured.parquet_bytes_per_row).toBeLessThan(measured.csv_bytes_per_row);
    expect(measured.rows_per_s).toBeGreaterThan(0);
  });
});
