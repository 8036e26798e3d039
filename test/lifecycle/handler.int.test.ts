import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FileObjectStore } from '../../shared/adapters/files/file-store.ts';
import { startMaintenanceScheduler } from '../../shared/apps/local/scheduler.ts';
import {
  createMaintenanceHandler,
  type MaintenanceHandlerConfig,
  type MaintenanceInvocationResult,
  maintenanceHandlerConfigShape,
} from '../../shared/apps/maintenance.ts';
import { loadConfig } from '../../shared/apps/runtime/config.ts';
import { logger, metrics } from '../../shared/apps/runtime/observability.ts';
import { ADVISORY_LOCKS, lockKeys } from '../../shared/core/contracts/advisory-locks.ts';
import type { ContinuationEvent, StartContinuation } from '../../shared/core/lifecycle/continuation.ts';
import { emptyMaintenanceResult, type MaintenanceResult } from '../../shared/core/lifecycle/result.ts';
import type { ObjectBody } from '../../shared/core/ports/object-store.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { insertEvents, monthEvents, partitionNames } from './fixture.ts';

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
  return {
    functionName: 'audit-maintenance',
    getRemainingTimeInMillis: () => (asked++ < calls ? 600_000 : 1_000),
  } as unknown as Context;
};

const handlerConfig = (env: Record<string, string> = {}): MaintenanceHandlerConfig => ({
  ...loadConfig(maintenanceHandlerConfigShape, {
    RETENTION_MONTHS: '13',
    PREMAKE_MONTHS: '1',
    ARCHIVE_WORK_DIR: join(dir, 'work'),
    ...env,
  }),
  // Below the setting's floor of 1000, so that a small month takes several files.
  ARCHIVE_ROWS_PER_FILE: 300,
});

/** Records each continuation asked for. */
const recordingStarts = () => {
  const started: { event: ContinuationEvent; functionName: string }[] = [];
  const start: StartContinuation = async (event, functionName) => {
    started.push({ event, functionName });
  };
  return { start, started };
};

it('pauses an export that runs out of time, asks for a continuation, and the continuation resumes it', async () => {
  const store = new FileObjectStore(join(dir, 'archive'));
  const { start, started } = recordingStarts();
  const handler = createMaintenanceHandler(
    { pool: db.pool, store, startContinuation: start },
    handlerConfig(),
    () => new Date('2024-06-01T03:00:00Z'),
  );
  const first = await handler({}, contextWith(4));
  expect(first.status).toBe('paused');
  expect(first.archived).toEqual([]);
  const written = (await store.list('events/')).length;
  expect(written).toBeGreaterThan(0);
  const continuation = { hop: 1, chainStartedAt: '2024-06-01T03:00:00.000Z' };
  expect(first.continuation).toEqual({ action: 'continued', next: continuation, maxHops: 24 });
  expect(started).toEqual([{ event: { continuation }, functionName: 'audit-maintenance' }]);

  const second = await handler(started[0]!.event, contextWith(1000));
  expect(second.status).toBe('done');
  expect(second.continuation).toEqual({ action: 'none' });
  expect(started).toHaveLength(1);
  expect(second.archived).toMatchObject([{ month: '2023-01', generation: 1, rows: 1000, files: 4 }]);
  expect((await store.list('events/')).map((o) => o.key)).toEqual([
    'events/year=2023/month=01/_manifest.json',
    ...[0, 1, 2, 3].map((n) => `events/year=2023/month=01/part-g1-0000${n}.parquet`),
  ]);
});

it('throws when maintenance fails, so the invocation fails, and asks for no continuation', async () => {
  const broken = { connect: () => Promise.reject(new Error('database unreachable')) } as never;
  const { start, started } = recordingStarts();
  const handler = createMaintenanceHandler(
    { pool: broken, store: new FileObjectStore(dir), startContinuation: start },
    handlerConfig(),
  );
  await expect(handler({}, contextWith(10))).rejects.toThrow('database unreachable');
  await expect(
    handler({ continuation: { hop: 3, chainStartedAt: '2024-06-01T03:00:00Z' } }, contextWith(10)),
  ).rejects.toThrow('database unreachable');
  expect(started).toEqual([]);
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

/**
 * Lambda, simulated: a 15-minute timeout, one reserved slot (invocations run one after the other), and every
 * continuation the handler asks for delivered a minute after the slot frees. Time is simulated too: each archive
 * upload takes 14 minutes, so an invocation has time for one export file (then less than its 90-second margin is left).
 */
function simulatedLambda(options: { db: TestDatabase; root: string; start: string; env?: Record<string, string> }) {
  let now = Date.parse(options.start);
  const advance = (ms: number) => {
    now += ms;
  };
  class SlowStore extends FileObjectStore {
    override async put(key: string, body: ObjectBody): Promise<void> {
      await super.put(key, body);
      advance(14 * 60_000);
    }
  }
  const store = new SlowStore(join(options.root, 'archive'));
  const queue: unknown[] = [];
  const started: { event: ContinuationEvent; functionName: string }[] = [];
  const handler = createMaintenanceHandler(
    {
      pool: options.db.pool,
      store,
      startContinuation: async (event, functionName) => {
        started.push({ event, functionName });
        queue.push(event);
      },
    },
    handlerConfig({ ARCHIVE_WORK_DIR: join(options.root, 'work'), ...options.env }),
    () => new Date(now),
  );
  const invoke = async (event: unknown): Promise<MaintenanceInvocationResult> => {
    const deadline = now + 15 * 60_000;
    const context = {
      functionName: 'audit-maintenance',
      getRemainingTimeInMillis: () => deadline - now,
    } as unknown as Context;
    return handler(event, context);
  };
  return {
    store,
    started,
    now: () => new Date(now),
    advance,
    /** Invokes with `event`, then with each continuation asked for, until none is left (or `limit` invocations). */
    async run(event: unknown, limit = 100): Promise<MaintenanceInvocationResult[]> {
      const results = [await invoke(event)];
      while (queue.length > 0) {
        if (results.length >= limit) throw new Error(`still continuing after ${limit} invocations`);
        advance(60_000);
        results.push(await invoke(queue.shift()));
      }
      return results;
    },
  };
}

describe('a month bigger than one invocation', () => {
  let big: TestDatabase;
  let root: string;
  beforeAll(async () => {
    big = await createTestDatabase('lifecycle_chain');
    root = await mkdtemp(join(tmpdir(), 'chain-'));
  });
  afterAll(async () => {
    await big?.drop();
    await rm(root, { recursive: true, force: true });
  });

  it('is archived by a chain of continuations the same morning as the daily run, not over the next days', async () => {
    await insertEvents(big.pool, monthEvents({ year: 2023, month: 1 }, 1000, 'chain'));
    const lambda = simulatedLambda({ db: big, root, start: '2024-06-01T04:45:00Z' });
    const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
    const results = await lambda.run(scheduled);

    // 4 invocations export one file each; the 5th finds the export complete and writes the manifest; the 6th
    // verifies, detaches and drops.
    expect(results.map((r) => r.status)).toEqual(['paused', 'paused', 'paused', 'paused', 'paused', 'done']);
    expect(lambda.started.map((s) => s.event.continuation.hop)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(lambda.started.map((s) => s.event.continuation.chainStartedAt))).toEqual(
      new Set(['2024-06-01T04:45:00.000Z']),
    );
    expect(lambda.started.every((s) => s.functionName === 'audit-maintenance')).toBe(true);
    expect(results.at(-1)).toMatchObject({
      archived: [{ month: '2023-01', generation: 1, rows: 1000, files: 4 }],
      dropped: ['2023-01'],
      continuation: { action: 'none' },
    });
    expect(await partitionNames(big.pool)).not.toContain('events_2023_01');
    expect((await lambda.store.list('events/year=2023/month=01/')).map((o) => o.key)).toEqual([
      'events/year=2023/month=01/_manifest.json',
      ...[0, 1, 2, 3].map((n) => `events/year=2023/month=01/part-g1-0000${n}.parquet`),
    ]);
    // Five uploads of 14 minutes and six deliveries later: done before 06:30, the same morning.
    expect(lambda.now().getTime() - Date.parse('2024-06-01T04:45:00Z')).toBeLessThan(2 * 3_600_000);
  });
});

describe('the chain bound', () => {
  let runaway: TestDatabase;
  let root: string;
  beforeAll(async () => {
    runaway = await createTestDatabase('lifecycle_chain_bound');
    root = await mkdtemp(join(tmpdir(), 'bound-'));
    await insertEvents(runaway.pool, monthEvents({ year: 2023, month: 1 }, 1000, 'bound'));
  });
  afterAll(async () => {
    await runaway?.drop();
    await rm(root, { recursive: true, force: true });
  });

  it('stops a chain after MAINTENANCE_MAX_CONTINUATIONS, with an error log and a metric; the next daily run goes on', async () => {
    const errors = vi.spyOn(logger, 'error');
    const counted = vi.spyOn(metrics, 'addMetric');
    try {
      const lambda = simulatedLambda({
        db: runaway,
        root,
        start: '2024-06-01T04:45:00Z',
        env: { MAINTENANCE_MAX_CONTINUATIONS: '2' },
      });
      const results = await lambda.run({});
      expect(results.map((r) => r.status)).toEqual(['paused', 'paused', 'paused']);
      expect(lambda.started.map((s) => s.event.continuation.hop)).toEqual([1, 2]);
      expect(results.at(-1)!.continuation).toEqual({
        action: 'stopped',
        hop: 2,
        maxHops: 2,
        chainStartedAt: '2024-06-01T04:45:00.000Z',
      });
      expect(errors).toHaveBeenCalledWith(
        expect.stringMatching(/^paused after 2 continuations, the most a chain may make/),
        expect.objectContaining({ hop: 2, maxHops: 2 }),
      );
      const stopped = counted.mock.calls.filter(([name]) => name === 'MaintenanceContinuationsStopped');
      expect(stopped.map(([, , value]) => value)).toEqual([0, 0, 1]);
      expect(await partitionNames(runaway.pool)).toContain('events_2023_01');

      // The next day's scheduled run starts a new chain (hop 0), which finishes the month.
      lambda.advance(24 * 3_600_000);
      const nextDay = await lambda.run({});
      expect(nextDay.at(-1)).toMatchObject({ status: 'done', archived: [{ month: '2023-01', rows: 1000 }] });
      expect(lambda.started.slice(2).map((s) => s.event.continuation.hop)).toEqual(
        nextDay.slice(1).map((_, i) => i + 1),
      );
    } finally {
      errors.mockRestore();
      counted.mockRestore();
    }
  });

  it('a continuation that finds the lock taken throws (Lambda retries it later) instead of asking for another', async () => {
    await insertEvents(runaway.pool, monthEvents({ year: 2023, month: 2 }, 400, 'locked'));
    const lambda = simulatedLambda({ db: runaway, root, start: '2024-07-01T04:45:00Z' });
    const other = await runaway.pool.connect();
    try {
      // Another maintenance session (a `trail maintain` run, say) holds the lock.
      await other.query('SELECT pg_advisory_lock($1, $2)', lockKeys(ADVISORY_LOCKS.maintenance));
      const continuation = { continuation: { hop: 3, chainStartedAt: '2024-07-01T04:00:00.000Z' } };
      await expect(lambda.run(continuation)).rejects.toThrow(
        /continuation 3 found another run holding the maintenance lock; Lambda retries this event/,
      );
      // A scheduled run skips quietly, as before: the lock holder does the work.
      expect((await lambda.run({})).map((r) => [r.status, r.continuation.action])).toEqual([['skipped', 'none']]);
      expect(lambda.started).toEqual([]);
      await other.query('SELECT pg_advisory_unlock($1, $2)', lockKeys(ADVISORY_LOCKS.maintenance));

      // Lambda's retry of the same event, once the lock is free, resumes the chain where it was.
      const retried = await lambda.run(continuation);
      expect(lambda.started[0]?.event.continuation).toEqual({ hop: 4, chainStartedAt: '2024-07-01T04:00:00.000Z' });
      expect(retried.at(-1)?.status).toBe('done');
      expect(retried.flatMap((r) => r.archived)).toContainEqual(
        expect.objectContaining({ month: '2023-02', rows: 400 }),
      );
    } finally {
      other.release();
    }
  });
});
