import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, inject } from 'vitest';
import { databaseUrl, withClient } from '../../bench/scratch-database.ts';
import { FileObjectStore } from '../../shared/adapters/files/file-store.ts';
import { runMaintenance } from '../../shared/adapters/postgres/maintenance/maintain.ts';
import { ensureMonthPartitions } from '../../shared/adapters/postgres/partitions.ts';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { PgLogStore } from '../../shared/adapters/postgres/pg-log-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { logArchiveIn } from '../../shared/apps/archive/log-archive.ts';
import { verifyTrail } from '../../shared/apps/verify.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { monthOf } from '../../shared/core/domain/month.ts';
import type { MaintenanceResult } from '../../shared/core/lifecycle/result.ts';
import { type SealResult, sealRound } from '../../shared/core/tamper/seal.ts';
import type { VerificationReport } from '../../shared/core/tamper/verify.ts';
import { createTestDatabase } from '../support/database.ts';
import { waitForHorizon } from '../support/sealed-log.ts';
import { superuserPool } from '../support/superuser.ts';
import { testSigner } from '../support/test-signer.ts';

/** The key every trail of a test file signs with (a clone keeps it). */
export type Signer = ReturnType<typeof testSigner>;

/**
 * A trail as the system leaves it: events written through the writer's own store (as audit_writer), sealed by real
 * rounds (as audit_sealer), months archived by real maintenance (as the owner) into a file:// archive; verified as
 * the owner, as the scheduled verification does. `admin` is the superuser who tampers (test/support/superuser.ts).
 */
export interface SealedTrail {
  name: string;
  owner: pg.Pool;
  admin: pg.Pool;
  archive: FileObjectStore;
  dir: string;
  signer: Signer;
  write(events: readonly StoredEvent[]): Promise<void>;
  /** Rounds until every written event is sealed; the last result. */
  seal(): Promise<SealResult>;
  maintain(now: string, retentionMonths?: number): Promise<MaintenanceResult>;
  verify(options?: { archiveOnly?: boolean }): Promise<VerificationReport>;
  close(): Promise<void>;
}

export async function sealedTrail(label: string, signer: Signer = testSigner()): Promise<SealedTrail> {
  const db = await createTestDatabase(label);
  const dir = await mkdtemp(join(tmpdir(), `${label}-`));
  // The scratch database's own pool is not used: a trail's pools are its own, so it can be cloned (no session open).
  await db.pool.end();
  return open(db.name, dir, signer, { writerUrl: db.writerUrl, sealerUrl: db.sealerUrl });
}

/**
 * A copy of a trail, database and archive, for one tampering: `CREATE DATABASE … TEMPLATE` copies the files of a
 * database no one is connected to, so the source's pools are ended first (it is not used again but to clone).
 * The copy is verified and tampered with as owner and superuser; it is not written to or sealed.
 */
export async function cloneTrail(source: SealedTrail, label: string): Promise<SealedTrail> {
  await source.close();
  const name = `${source.name.slice(0, 40)}_${label}`.slice(0, 60);
  const server = inject('ownerServerUrl');
  for (let attempt = 0; ; attempt++) {
    try {
      await withClient(server, (client) =>
        client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(source.name)}`),
      );
      break;
    } catch (error) {
      // A session that just ended may still be leaving the server.
      if (attempt > 20 || !/being accessed by other users/.test((error as Error).message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const dir = await mkdtemp(join(tmpdir(), `${label}-`));
  await cp(join(source.dir, 'archive'), join(dir, 'archive'), { recursive: true });
  return open(name, dir, source.signer);
}

/**
 * The trail a test file builds (`build`, in its beforeAll) and the copies its tests tamper with (`copy`), each copy
 * dropped after its test and the trail after the file.
 */
export function tamperingCopies(label: string) {
  let base: SealedTrail | undefined;
  let current: SealedTrail | undefined;
  let made = 0;
  afterEach(async () => {
    if (current) await dropTrail(current);
    current = undefined;
  });
  afterAll(async () => {
    if (base) await dropTrail(base);
  });
  return {
    async build(): Promise<SealedTrail> {
      base = await sealedTrail(label);
      return base;
    },
    async copy(): Promise<SealedTrail> {
      current = await cloneTrail(base!, `c${made++}`);
      return current;
    },
  };
}

/**
 * Drops a trail's database (after close) and its folder. As the superuser: FORCE ends any session still leaving,
 * the superuser's own among them, which the owner may not end.
 */
export async function dropTrail(trail: SealedTrail): Promise<void> {
  await trail.close();
  await withClient(inject('adminServerUrl'), (client) =>
    client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(trail.name)} WITH (FORCE)`),
  );
  await rm(trail.dir, { recursive: true, force: true });
}

async function open(
  name: string,
  dir: string,
  signer: Signer,
  logins?: { writerUrl: string; sealerUrl: string },
): Promise<SealedTrail> {
  const owner = createPool({ connectionString: databaseUrl(inject('ownerServerUrl'), name), max: 2 });
  const admin = superuserPool(name);
  const writer = logins && createPool({ connectionString: logins.writerUrl, max: 2 });
  const sealer = logins && createPool({ connectionString: logins.sealerUrl, max: 2 });
  const archive = new FileObjectStore(join(dir, 'archive'));
  let closed = false;
  const seal = () =>
    sealRound(
      { store: new PgLogStore(sealer!), signer, archive: logArchiveIn(archive), clock: () => new Date() },
      { logId: 'tamper-test' },
    );
  return {
    name,
    owner,
    admin,
    archive,
    dir,
    signer,
    async write(events) {
      // Maintenance makes the months ahead; these tests write months long past, which the writer may not create.
      await ensureMonthPartitions(
        owner,
        events.map((event) => monthOf(new Date(event.occurredAt))),
      );
      const store = new PgEventStore(writer!);
      for (let i = 0; i < events.length; i += 500) await store.insert(events.slice(i, i + 500));
    },
    async seal() {
      await waitForHorizon(owner);
      let result = await seal();
      while (result.oldestUnsealedAt !== null) {
        await waitForHorizon(owner);
        result = await seal();
      }
      return result;
    },
    maintain: (now, retentionMonths = 1) =>
      runMaintenance(
        { pool: owner, store: archive },
        {
          now: new Date(now),
          retentionMonths,
          premakeMonths: 1,
          workDir: join(dir, 'work'),
          rowsPerFile: 1000,
          // Sealed before: a month with an unsealed event is a test's mistake, not something to wait for.
          sealWaitMs: 0,
        },
      ),
    verify: (options = {}) =>
      verifyTrail({
        ...(!options.archiveOnly && { pool: owner }),
        store: archive,
        publicKeys: [signer.pem],
        workDir: join(dir, 'verify'),
        // A copy is due the moment its checkpoint was issued before the listing: no timing in these tests.
        copyGraceMs: 0,
      }),
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([owner.end(), admin.end(), writer?.end(), sealer?.end()]);
    },
  };
}
