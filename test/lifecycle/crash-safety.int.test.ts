import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FileObjectStore } from '../../shared/adapters/files/file-store.ts';
import type { CrashPoint } from '../../shared/adapters/postgres/maintenance/archive-month.ts';
import { runMaintenance } from '../../shared/adapters/postgres/maintenance/maintain.ts';
import { formatMonth, type Month, monthRange } from '../../shared/core/domain/month.ts';
import type { MaintenanceResult } from '../../shared/core/lifecycle/result.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { insertEvents, monthEvents, partitionNames } from './fixture.ts';

/** Every point the archival can die at; each expired month dies at one of them. */
const POINTS: CrashPoint[] = [
  'export:file',
  'export:done',
  'export:recorded',
  'manifest:done',
  'manifest:recorded',
  'verify:done',
  'verify:recorded',
  'detach:done',
  'detach:recorded',
  'drop:done',
  'drop:recorded',
];
const MONTHS = monthRange({ year: 2020, month: 1 }, { year: 2020, month: POINTS.length });
const NOW = new Date('2022-01-20T00:00:00Z'); // every month above is past 13 months of retention
const PER_MONTH = 250;

interface World {
  db: TestDatabase;
  store: FileObjectStore;
  dir: string;
}
let clean: World;
let crashed: World;

async function world(label: string): Promise<World> {
  const db = await createTestDatabase(label);
  for (const month of MONTHS) await insertEvents(db.pool, monthEvents(month, PER_MONTH));
  const dir = await mkdtemp(join(tmpdir(), `${label}-`));
  return { db, dir, store: new FileObjectStore(join(dir, 'archive')) };
}

const maintain = (w: World, crash?: (point: CrashPoint, month: Month) => void) =>
  runMaintenance(
    { pool: w.db.pool, store: w.store },
    {
      now: NOW,
      retentionMonths: 13,
      premakeMonths: 1,
      workDir: join(w.dir, 'work'),
      rowsPerFile: 100,
      ...(crash && { crash }),
    },
  );

/** Everything the archival leaves behind: objects with their bytes' digests, partitions, recorded steps. */
async function endState(w: World) {
  const objects = await Promise.all(
    (await w.store.list('')).map(async (o) => ({
      ...o,
      text: o.key.endsWith('.json') ? await readFile(w.store.pathOf(o.key), 'utf8') : '',
    })),
  );
  const steps = await w.db.pool.query(
    `SELECT to_char(month, 'YYYY-MM') AS month, generation, step, files, row_count, finished_at IS NOT NULL AS finished, error
       FROM archive_steps ORDER BY month, generation, step`,
  );
  const events = await w.db.pool.query('SELECT count(*)::int AS n FROM events');
  return { objects, partitions: await partitionNames(w.db.pool), steps: steps.rows, events: events.rows[0].n };
}

beforeAll(async () => {
  [clean, crashed] = await Promise.all([world('crash_clean'), world('crash_killed')]);
});
afterAll(async () => {
  for (const w of [clean, crashed]) {
    await w?.db.drop();
    if (w) await rm(w.dir, { recursive: true, force: true });
  }
});

it('dies after every step, reruns, and ends exactly where an undisturbed run ends', async () => {
  const reference = await maintain(clean);
  expect(reference.status).toBe('done');
  expect(reference.archived).toHaveLength(MONTHS.length);

  const pending = new Map(MONTHS.map((month, i) => [formatMonth(month), POINTS[i]!]));
  const crash = (point: CrashPoint, month: Month) => {
    if (pending.get(formatMonth(month)) !== point) return;
    pending.delete(formatMonth(month));
    throw new Error(`killed at ${point} of ${formatMonth(month)}`);
  };
  const runs: MaintenanceResult[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    const result = await maintain(crashed, crash);
    runs.push(result);
    if (result.status === 'done') break;
  }
  expect(runs.filter((r) => r.status === 'failed').map((r) => r.error)).toEqual(
    MONTHS.map((month, i) => `killed at ${POINTS[i]} of ${formatMonth(month)}`),
  );
  expect(runs.at(-1)?.status).toBe('done');

  const [want, got] = [await endState(clean), await endState(crashed)];
  expect(got.objects).toEqual(want.objects);
  expect(got.partitions).toEqual(want.partitions);
  expect(got.steps).toEqual(want.steps);
  expect(got.steps.every((s: { finished: boolean; error: string | null }) => s.finished && s.error === null)).toBe(
    true,
  );
  expect(got.events).toBe(0);
  // A run after the end state is a no-op.
  expect(await maintain(crashed)).toMatchObject({ status: 'done', created: [], archived: [] });
});
