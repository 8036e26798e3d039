import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadOrCreateLocalSigner } from '../../shared/adapters/crypto/local-signer.ts';
import { FileObjectStore } from '../../shared/adapters/files/file-store.ts';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { PgLogStore } from '../../shared/adapters/postgres/pg-log-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { logArchiveIn } from '../../shared/apps/archive/log-archive.ts';
import { loadConfig } from '../../shared/apps/runtime/config.ts';
import { metrics } from '../../shared/apps/runtime/observability.ts';
import { sealerConfigShape } from '../../shared/apps/sealer/config.ts';
import { createSealerHandler } from '../../shared/apps/sealer.ts';
import type { LogArchive } from '../../shared/core/ports/log-archive.ts';
import type { CheckpointSigner } from '../../shared/core/ports/signer.ts';
import { checkpointKey } from '../../shared/core/tamper/archive-keys.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventAbout } from '../support/events.ts';
import { waitForHorizon } from '../support/sealed-log.ts';

const lambdaContext = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs }) as unknown as Context;

describe('the sealer function', () => {
  let db: TestDatabase;
  let dir: string;
  let pool: pg.Pool;
  let writer: pg.Pool;
  let signer: CheckpointSigner;

  beforeAll(async () => {
    db = await createTestDatabase('sealer_handler');
    dir = await mkdtemp(join(tmpdir(), 'sealer-handler-'));
    pool = createPool({ connectionString: db.sealerUrl, max: 2 });
    writer = createPool({ connectionString: db.writerUrl, max: 1 });
    signer = await loadOrCreateLocalSigner(join(dir, 'key.pem'));
  });
  afterAll(async () => {
    await Promise.all([pool?.end(), writer?.end()]);
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const handler = (archive: LogArchive = logArchiveIn(new FileObjectStore(join(dir, 'archive'))), maxEvents = 10) =>
    createSealerHandler(
      { store: new PgLogStore(pool), signer: async () => signer, archive, clock: () => new Date() },
      { LOG_ID: 'handler-log', SEAL_MAX_EVENTS: maxEvents },
    );
  const write = async (count: number) => {
    await new PgEventStore(writer).insert(Array.from({ length: count }, () => eventAbout('robot:r-1')));
    await waitForHorizon(db.pool);
  };

  it('reads LOG_ID, SIGNING_KEY_ID, ARCHIVE_URL and SEAL_MAX_EVENTS, and names a missing key', () => {
    expect(loadConfig(sealerConfigShape, { SIGNING_KEY_ID: 'alias/log-signing' })).toMatchObject({
      LOG_ID: 'fleet-audit-trail',
      SIGNING_KEY_ID: 'alias/log-signing',
      ARCHIVE_URL: 'file://.data/archive',
      SEAL_MAX_EVENTS: 10_000,
    });
    expect(() => loadConfig(sealerConfigShape, {})).toThrow(/SIGNING_KEY_ID is not set: the KMS key that signs/);
    expect(() => loadConfig(sealerConfigShape, { SIGNING_KEY_ID: 'k', SEAL_MAX_EVENTS: '5' })).toThrow(
      /SEAL_MAX_EVENTS is invalid/,
    );
  });

  it('seals, and emits EventsSealed, SealLagSeconds and CheckpointNumber every round', async () => {
    await write(4);
    const counted = vi.spyOn(metrics, 'addMetric');
    try {
      const result = await handler()({}, lambdaContext(60_000));
      expect(result).toMatchObject({ sealed: 4, complete: true, lagSeconds: 0 });
      const empty = await handler()({}, lambdaContext(60_000));
      expect(empty.sealed).toBe(0);
      expect(counted.mock.calls.map(([name, unit, value]) => [name, unit, value])).toEqual([
        ['EventsSealed', 'Count', 4],
        ['SealLagSeconds', 'Seconds', 0],
        ['CheckpointNumber', 'None', 0],
        ['EventsSealed', 'Count', 0],
        ['SealLagSeconds', 'Seconds', 0],
        ['CheckpointNumber', 'None', 1],
      ]);
    } finally {
      counted.mockRestore();
    }
  });

  it('near its deadline, seals one chunk and signs; what is left waits, and the lag says how late it is', async () => {
    await write(25);
    const result = await handler()({}, lambdaContext(5_000));
    expect(result).toMatchObject({ sealed: 10, complete: false });
    expect(result.lagSeconds).toBeGreaterThan(0);
    expect(result.checkpoint.body).toMatchObject({ number: 2, treeSize: 14 });
  });

  it('fails the invocation when an archive copy failed, after the round is committed and its metrics recorded', async () => {
    const counted = vi.spyOn(metrics, 'addMetric');
    // Refuses every write; holds every copy but checkpoint 3's, the one this round writes.
    const unreachable: LogArchive = {
      has: async (key) => key !== checkpointKey(3),
      put: async () => {
        throw new Error('AccessDenied');
      },
    };
    try {
      await expect(handler(unreachable, 100)({}, lambdaContext(60_000))).rejects.toThrow(
        /^checkpoint 3 is sealed, but 2 archive copies failed: log\/checkpoints\/00000000000000000003.json, log\/leaves\/00000000000000000014.bin$/,
      );
      expect(counted).toHaveBeenCalledWith('CheckpointNumber', 'None', 3);
      expect((await new PgLogStore(pool).latest())?.body).toMatchObject({ number: 3, treeSize: 29 });
    } finally {
      counted.mockRestore();
    }
  });
});
