import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMaintenanceHandler } from '../../functions/maintenance/handler.ts';
import { FileObjectStore } from '../../shared/archive/file-store.ts';
import { lifecycleConfigShape } from '../../shared/lifecycle/config.ts';
import { emptyMaintenanceResult, type MaintenanceResult } from '../../shared/lifecycle/maintain.ts';
import { startMaintenanceScheduler } from '../../shared/lifecycle/scheduler.ts';
import { loadConfig } from '../../shared/runtime/config.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { insertEvents, monthEvents } from './fixture.ts';

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await createTestDatabase('lifecycle_handler');
  dir = await mkdtemp(join(tmpdir(), 'handler-'));
  await insertEvents(db.pool, monthEvents({ year: 2023, month: 1 }, 1000));
});
afterAll(async () => {
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

/** A Lambda context whose remaining time runs out after `calls` questions. */
const contextWith = (calls: number) => {
  let asked = 0;
  return { getRemainingTimeInMillis: () => (asked++ < calls ? 600_000 : 1_000) } as unknown as Context;
};

it('pauses an export that runs out of time and resumes it in the next invocation', async () => {
  const config = loadConfig(lifecycleConfigShape, {
    RETENTION_MONTHS: '13',
    PREMAKE_MONTHS: '1',
    ARCHIVE_ROWS_PER_FILE: '1000',
    ARCHIVE_WORK_DIR: join(dir, 'work'),
  });
  const store = new FileObjectStore(join(dir, 'archive'));
  const handler = createMaintenanceHandler(
    { pool: db.pool, store },
    { ...config, ARCHIVE_ROWS_PER_FILE: 300 },
    () => new Date('2024-06-01T03:00:00Z'),
  );
  const event = {} as ScheduledEvent;
  const first = await handler(event, contextWith(4));
  expect(first.status).toBe('paused');
  expect(first.archived).toEqual([]);
  const written = (await store.list('events/')).length;
  expect(written).toBeGreaterThan(0);

  const second = await handler(event, contextWith(1000));
  expect(second.status).toBe('done');
  expect(second.archived).toMatchObject([{ month: '2023-01', generation: 1, rows: 1000, files: 4 }]);
  expect((await store.list('events/')).map((o) => o.key)).toEqual([
    'events/year=2023/month=01/_manifest.json',
    ...[0, 1, 2, 3].map((n) => `events/year=2023/month=01/part-g1-0000${n}.parquet`),
  ]);
});

it('throws when maintenance fails, so the invocation fails', async () => {
  const config = loadConfig(lifecycleConfigShape, { ARCHIVE_WORK_DIR: join(dir, 'work') });
  const broken = { connect: () => Promise.reject(new Error('database unreachable')) } as never;
  const handler = createMaintenanceHandler({ pool: broken, store: new FileObjectStore(dir) }, config);
  await expect(handler({} as ScheduledEvent, contextWith(10))).rejects.toThrow('database unreachable');
});

it('the local scheduler runs at once, skips ticks while a run is going, and stops cleanly', async () => {
  const runs: Date[] = [];
  const results: MaintenanceResult[] = [];
  let release = () => {};
  const scheduler = startMaintenanceScheduler({
    run: async (now) => {
      runs.push(now);
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return emptyMaintenanceResult(now);
    },
    clock: () => new Date('2030-01-01Z'),
    intervalMs: 5,
    onResult: (r) => results.push(r),
    onError: (e) => {
      throw e;
    },
  });
  await new Promise((resolve) => setTimeout(resolve, 30));
  expect(runs).toHaveLength(1);
  release();
  await scheduler.idle();
  await new Promise((resolve) => setTimeout(resolve, 30));
  release();
  await scheduler.stop();
  expect(runs.length).toBeGreaterThanOrEqual(2);
  expect(results[0]?.now).toBe('2030-01-01T00:00:00.000Z');
});
