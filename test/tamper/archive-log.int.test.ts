import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDb } from '../../shared/adapters/duckdb/duckdb.ts';
import { fileDigest } from '../../shared/adapters/duckdb/export.ts';
import { FileObjectStore } from '../../shared/adapters/files/file-store.ts';
import { listArchiveSteps } from '../../shared/adapters/postgres/maintenance/archive-state.ts';
import { type MaintenanceOptions, runMaintenance } from '../../shared/adapters/postgres/maintenance/maintain.ts';
import { PgLogStore } from '../../shared/adapters/postgres/pg-log-store.ts';
import { archivedRowToEvent } from '../../shared/core/archive/archived-event.ts';
import type { ArchiveManifest } from '../../shared/core/archive/manifest.ts';
import { ARCHIVE_COLUMNS, archiveFileKey, archiveManifestKey } from '../../shared/core/archive/schema.ts';
import { type Month, partitionName } from '../../shared/core/domain/month.ts';
import { checkpointKey } from '../../shared/core/tamper/archive-keys.ts';
import { signedCheckpointSchema, verifyCheckpointSignature } from '../../shared/core/tamper/checkpoint.ts';
import { leafHash } from '../../shared/core/tamper/leaf.ts';
import { inclusionProof, verifyInclusion } from '../../shared/core/tamper/merkle.ts';
import { insertEvents, monthEvents, partitionNames } from '../lifecycle/fixture.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { sealAll, signerOf } from '../support/seal-all.ts';

const JAN: Month = { year: 2024, month: 1 };
const FEB: Month = { year: 2024, month: 2 };
const PER_MONTH = 130;

let db: TestDatabase;
let dir: string;
let store: FileObjectStore;

const maintain = (extra: Partial<MaintenanceOptions> = {}) =>
  runMaintenance(
    { pool: db.pool, store },
    {
      now: new Date('2025-04-15T08:00:00Z'),
      retentionMonths: 13,
      premakeMonths: 0,
      workDir: join(dir, 'work'),
      rowsPerFile: 50,
      sealWaitMs: 0,
      ...extra,
    },
  );
const readJson = async (key: string) => JSON.parse(Buffer.concat(await (await store.get(key)).toArray()).toString());

/** Every row of the month's Parquet files, each column as text (timestamps as the archive query engines give them). */
async function parquetRows(month: Month) {
  const duck = await openDuckDb({ workDir: join(dir, 'duck') });
  try {
    const files = (await store.list(`events/year=${month.year}/month=0${month.month}/`)).filter((o) =>
      o.key.endsWith('.parquet'),
    );
    const columns = ARCHIVE_COLUMNS.map(({ name, glueType }) =>
      glueType === 'timestamp'
        ? `strftime("${name}", '%Y-%m-%d %H:%M:%S.%g') AS "${name}"`
        : `"${name}"::VARCHAR AS "${name}"`,
    );
    const list = files.map((f) => `'${store.pathOf(f.key)}'`).join(', ');
    const reader = await duck.connection.runAndReadAll(`SELECT ${columns.join(', ')} FROM read_parquet([${list}])`);
    return reader.getRowObjectsJson() as Record<string, string | null>[];
  } finally {
    duck.close();
  }
}

beforeAll(async () => {
  db = await createTestDatabase('archive_log');
  dir = await mkdtemp(join(tmpdir(), 'archive-log-'));
  store = new FileObjectStore(join(dir, 'archive'));
});
afterAll(async () => {
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('a month is archived only once the log has sealed every one of its events', () => {
  it('an unsealed month is not archived: the run says how many wait, exports nothing, and stops there', async () => {
    await insertEvents(db.pool, monthEvents(JAN, PER_MONTH), { sealed: false });
    await insertEvents(db.pool, monthEvents(FEB, PER_MONTH), { sealed: false });
    const result = await maintain();
    expect(result.status).toBe('done');
    expect(result.archived).toEqual([]);
    expect(result.skipped).toEqual([
      { what: '2024-01', reason: `${PER_MONTH} events of 2024-01 are not sealed yet: the next run archives it` },
    ]);
    expect(await store.list('events/')).toEqual([]);
    expect(await partitionNames(db.pool)).toContain(partitionName(JAN));
    const steps = await listArchiveSteps(db.pool);
    expect(steps).toEqual([
      expect.objectContaining({
        month: '2024-01',
        step: 'export',
        finishedAt: null,
        error: `${PER_MONTH} events of 2024-01 are not sealed yet`,
      }),
    ]);
  });

  it('the export waits for the sealer: sealed while it waits, the month is archived in that run', async () => {
    const run = maintain({ sealWaitMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await sealAll(db.pool, store);
    const result = await run;
    expect(result.archived.map((a) => [a.month, a.rows])).toEqual([
      ['2024-01', PER_MONTH],
      ['2024-02', PER_MONTH],
    ]);
    expect(result.skipped).toEqual([]);
    expect((await listArchiveSteps(db.pool)).every((s) => s.error === null && s.finishedAt !== null)).toBe(true);
  });
});

describe('the archive carries the proof', () => {
  it("every exported row carries its seq and leaf: the leaf recomputed from the Parquet row is event_log's", async () => {
    const rows = await parquetRows(JAN);
    expect(rows).toHaveLength(PER_MONTH);
    const { rows: logged } = await db.pool.query<{ id: string; seq: string; leaf: string }>(
      `SELECT event_id::text AS id, seq::text AS seq, encode(leaf_hash, 'hex') AS leaf FROM event_log`,
    );
    const log = new Map(logged.map((row) => [row.id, row]));
    for (const row of rows) {
      const event = archivedRowToEvent(row);
      expect(leafHash(event).toString('hex'), `leaf of ${row['id']}`).toBe(row['leaf_hash']);
      expect({ seq: row['log_seq'], leaf: row['leaf_hash'] }).toEqual({
        seq: log.get(row['id']!)!.seq,
        leaf: log.get(row['id']!)!.leaf,
      });
    }
    // The events as they were stored (the fixture's), not only self-consistent rows.
    const stored = new Map(monthEvents(JAN, PER_MONTH).map((e) => [e.id, leafHash(e).toString('hex')]));
    expect(rows.every((row) => stored.get(row['id']!) === row['leaf_hash'])).toBe(true);
  });

  it("the manifest's log names a signed checkpoint whose root proves every row of the month", async () => {
    const manifest = (await readJson(archiveManifestKey(JAN, 1))) as ArchiveManifest;
    const rows = await parquetRows(JAN);
    const maxSeq = Math.max(...rows.map((row) => Number(row['log_seq'])));
    expect(manifest.schemaVersion).toBe(2);
    expect(manifest.log).toMatchObject({ maxSeq });

    const checkpoint = signedCheckpointSchema.parse(await readJson(checkpointKey(manifest.log!.checkpointNumber)));
    expect(verifyCheckpointSignature(checkpoint, signerOf(db.pool).pem)).toBe(true);
    expect(checkpoint.body).toMatchObject({
      number: manifest.log!.checkpointNumber,
      treeSize: manifest.log!.treeSize,
      rootHash: manifest.log!.rootHash,
    });
    expect(checkpoint.body.treeSize).toBeGreaterThan(maxSeq);
    // The first such checkpoint: the one before it does not hold the month's last event.
    const { rows: earlier } = await db.pool.query('SELECT tree_size FROM checkpoints WHERE number = $1', [
      checkpoint.body.number - 1,
    ]);
    if (earlier[0]) expect(Number(earlier[0].tree_size)).toBeLessThanOrEqual(maxSeq);

    const reader = new PgLogStore(db.pool);
    const root = Buffer.from(manifest.log!.rootHash, 'hex');
    for (const row of rows) {
      const seq = Number(row['log_seq']);
      const path = await inclusionProof(reader, seq, manifest.log!.treeSize);
      expect(verifyInclusion(leafHash(archivedRowToEvent(row)), seq, manifest.log!.treeSize, path, root)).toBe(true);
    }
  });

  it("the archive's verification refuses a manifest whose log does not match the log", async () => {
    const MAR: Month = { year: 2024, month: 3 };
    await insertEvents(db.pool, monthEvents(MAR, 20));
    const forged = async (point: string, month: Month) => {
      if (point !== 'manifest:recorded' || month.month !== 3) return;
      const manifest = (await readJson(archiveManifestKey(month, 1))) as ArchiveManifest;
      const tampered = { ...manifest, log: { ...manifest.log!, maxSeq: manifest.log!.maxSeq - 1 } };
      await store.put(archiveManifestKey(month, 1), Readable.from([Buffer.from(JSON.stringify(tampered))]));
    };
    const result = await maintain({ now: new Date('2025-05-15T08:00:00Z'), crash: forged });
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/_manifest\.json failed: the manifest's log is .*"maxSeq":\d+.*, the log says/);
    expect(await partitionNames(db.pool)).toContain(partitionName(MAR));
  });
});

describe("the archive's verification checks every row's leaf against event_log", () => {
  let other: TestDatabase;
  beforeAll(async () => {
    other = await createTestDatabase('archive_log_leaves');
  });
  afterAll(() => other?.drop());

  it('a file rewritten with one leaf_hash changed (checksums made to match) fails verification, naming the event', async () => {
    const month: Month = { year: 2024, month: 5 };
    const events = monthEvents(month, 40, 'leaves');
    await insertEvents(other.pool, events);
    const target = events[7]!.id;
    const rewrite = async (point: string) => {
      if (point !== 'manifest:recorded') return;
      const key = archiveFileKey(month, 1, 0);
      const rewritten = join(dir, 'rewritten.parquet');
      const duck = await openDuckDb({ workDir: join(dir, 'duck-rewrite') });
      try {
        await duck.connection.run(
          `COPY (SELECT * REPLACE (CASE WHEN id = '${target}' THEN '${'ab'.repeat(32)}' ELSE leaf_hash END AS leaf_hash)
                   FROM read_parquet('${store.pathOf(key)}', hive_partitioning = false)) TO '${rewritten}' (FORMAT parquet, COMPRESSION zstd)`,
        );
      } finally {
        duck.close();
      }
      const digest = await fileDigest(rewritten);
      await store.put(key, { file: rewritten });
      // The manifest and the export's record agree with the new file: only the leaf can tell.
      const manifest = (await readJson(archiveManifestKey(month, 1))) as ArchiveManifest;
      const files = manifest.files.map((f) => (f.key === key ? { ...f, ...digest } : f));
      await store.put(
        archiveManifestKey(month, 1),
        Readable.from([Buffer.from(JSON.stringify({ ...manifest, files }))]),
      );
      await other.pool.query(`UPDATE archive_steps SET files = $1::jsonb WHERE step = 'export'`, [
        JSON.stringify(files),
      ]);
    };
    const result = await runMaintenance(
      { pool: other.pool, store },
      {
        now: new Date('2025-07-15T08:00:00Z'),
        retentionMonths: 13,
        premakeMonths: 0,
        workDir: join(dir, 'work-leaves'),
        rowsPerFile: 50,
        sealWaitMs: 0,
        crash: rewrite,
      },
    );
    expect(result.status).toBe('failed');
    expect(result.error).toContain(
      `part-g1-00000.parquet: event ${target} has a log_seq or leaf_hash that is not event_log's`,
    );
    expect(await partitionNames(other.pool)).toContain(partitionName(month));
  });
});
