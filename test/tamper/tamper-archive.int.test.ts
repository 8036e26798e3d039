import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { duckLiteral, openDuckDb } from '../../shared/adapters/duckdb/duckdb.ts';
import { fileDigest } from '../../shared/adapters/duckdb/export.ts';
import { archiveFileKey, archiveManifestKey } from '../../shared/core/archive/schema.ts';
import { checkpointKey, leavesKey } from '../../shared/core/tamper/archive-keys.ts';
import { signCheckpoint, signedCheckpointSchema } from '../../shared/core/tamper/checkpoint.ts';
import type { VerificationReport } from '../../shared/core/tamper/verify.ts';
import { monthEvents } from '../lifecycle/fixture.ts';
import { testSigner } from '../support/test-signer.ts';
import { type SealedTrail, tamperingCopies } from './sealed-trail.ts';

/**
 * What someone who can write the archive can do to it (locally anyone; on AWS, Object Lock refuses it under log/ and
 * for the archived months), and what verification says of it, from PostgreSQL and the archive and from the archive
 * alone. One trail: 3 months of 60 events, sealed a month at a time (seqs 0-59 are January), January archived by
 * maintenance into one Parquet file, then 12 empty rounds; each test tampers with a copy.
 */
const copies = tamperingCopies('tamper_archive');
let base: SealedTrail;
const JAN = { year: 2024, month: 1 };
const FILE = archiveFileKey(JAN, 1, 0);
const MANIFEST = archiveManifestKey(JAN, 1);

beforeAll(async () => {
  base = await copies.build();
  for (const month of [1, 2, 3]) {
    await base.write(monthEvents({ year: 2024, month }, 60, 'archive'));
    await base.seal();
  }
  const result = await base.maintain('2024-03-15T08:00:00Z');
  expect(result.archived.map((a) => [a.month, a.rows])).toEqual([['2024-01', 60]]);
  for (let i = 0; i < 12; i++) await base.seal();
  expect((await base.verify()).findings).toEqual([]);
  expect((await base.verify({ archiveOnly: true })).findings).toEqual([]);
}, 120_000);

/** A copy of the trail, its archive changed by `work`; verified from PostgreSQL and the archive, and from the archive. */
async function tampered(work: (copy: SealedTrail) => Promise<unknown>) {
  const trail = await copies.copy();
  await work(trail);
  const [full, alone] = [await trail.verify(), await trail.verify({ archiveOnly: true })];
  return { full, alone };
}

/** Rewrites a Parquet file of the archive in place with DuckDB: `select` reads `src`, all of its columns. */
async function rewriteParquet(copy: SealedTrail, key: string, select: (src: string) => string): Promise<void> {
  const path = copy.archive.pathOf(key);
  const duck = await openDuckDb({ workDir: join(copy.dir, 'duck') });
  try {
    await duck.connection.run(
      `COPY (${select(`read_parquet(${duckLiteral(path)}, hive_partitioning = false)`)}) TO ${duckLiteral(`${path}.new`)} (FORMAT parquet, COMPRESSION zstd)`,
    );
  } finally {
    duck.close();
  }
  await rename(`${path}.new`, path);
}

/** The id and log_seq of the archived row at `seq`. */
async function archivedAt(copy: SealedTrail, seq: number): Promise<string> {
  const { rows } = await copy.owner.query<{ id: string }>('SELECT event_id::text AS id FROM event_log WHERE seq = $1', [
    seq,
  ]);
  return rows[0]!.id;
}

/** The manifest rewritten so that it lists the file as it is now: what an archive writer would do to hide an edit. */
async function rehashManifest(copy: SealedTrail): Promise<void> {
  const manifest = JSON.parse((await copy.archive.get(MANIFEST).then((s) => s.toArray())).join(''));
  const { bytes, sha256 } = await fileDigest(copy.archive.pathOf(FILE));
  manifest.files[0] = { ...manifest.files[0], bytes, sha256 };
  await copy.archive.put(MANIFEST, Readable.from([Buffer.from(JSON.stringify(manifest, null, 2))]));
}

const kinds = (report: VerificationReport) => report.findings.map((f) => f.kind);

describe('tampering with archived Parquet files is found', () => {
  it('a row edited in place: the file is not what its manifest says, and the row names itself', async () => {
    let id = '';
    const { full, alone } = await tampered(async (copy) => {
      id = await archivedAt(copy, 10);
      await rewriteParquet(
        copy,
        FILE,
        (src) =>
          `SELECT * REPLACE (CASE WHEN log_seq = 10 THEN '{"value": 0}' ELSE payload END AS payload) FROM ${src}`,
      );
    });
    for (const report of [full, alone]) {
      expect(report.first).toMatchObject({ kind: 'archive-file-replaced', key: FILE });
      expect(report.findings[1]).toMatchObject({ kind: 'archive-row-modified', seq: 10, id, key: FILE });
      expect(report.findings).toHaveLength(2);
    }
  });

  it('a row edited and the manifest rewritten to match: the row still does not hash to its leaf', async () => {
    let id = '';
    const { full, alone } = await tampered(async (copy) => {
      id = await archivedAt(copy, 33);
      await rewriteParquet(
        copy,
        FILE,
        (src) =>
          `SELECT * REPLACE (CASE WHEN log_seq = 33 THEN received_at + INTERVAL 1 SECOND ELSE received_at END AS received_at) FROM ${src}`,
      );
      await rehashManifest(copy);
    });
    for (const report of [full, alone])
      expect(report.findings).toEqual([
        expect.objectContaining({ kind: 'archive-row-modified', seq: 33, id, key: FILE }),
      ]);
  });

  it('the file replaced by one of forged rows (as served by trail history): every row named', async () => {
    const { full, alone } = await tampered((copy) =>
      rewriteParquet(copy, FILE, (src) => `SELECT * REPLACE ('{"version": "forged"}' AS payload) FROM ${src}`),
    );
    for (const report of [full, alone]) {
      expect(report.first).toMatchObject({ kind: 'archive-file-replaced', key: FILE });
      expect(kinds(report).slice(1)).toEqual(Array(60).fill('archive-row-modified'));
    }
  });

  it('two rows given each other’s log_seq: rows-reordered', async () => {
    const { full } = await tampered((copy) =>
      rewriteParquet(
        copy,
        FILE,
        (src) =>
          `SELECT * REPLACE (CASE log_seq WHEN 3 THEN 40 WHEN 40 THEN 3 ELSE log_seq END AS log_seq) FROM ${src}`,
      ),
    );
    expect(kinds(full)).toEqual(['archive-file-replaced', 'rows-reordered']);
    expect(full.findings[1]).toMatchObject({ seqs: { from: 3, to: 40 }, key: FILE });
  });

  it('the file deleted: its rows are gone, and which seqs they were', async () => {
    const { full, alone } = await tampered((copy) => rm(copy.archive.pathOf(FILE)));
    expect(full.first).toMatchObject({ kind: 'archive-rows-deleted', key: FILE });
    expect(full.findings[1]).toMatchObject({ kind: 'archive-rows-deleted', seqs: { from: 0, to: 59 } });
    expect(full.findings).toHaveLength(2);
    // The archive alone knows the file from its manifest; which leaves were its rows only PostgreSQL knows.
    expect(alone.findings).toEqual([expect.objectContaining({ kind: 'archive-rows-deleted', key: FILE })]);
  });
});

describe("tampering with the log's copies in the archive is found", () => {
  it("a checkpoint's copy deleted", async () => {
    const { full, alone } = await tampered((copy) => rm(copy.archive.pathOf(checkpointKey(1))));
    expect(full.findings).toEqual([expect.objectContaining({ kind: 'checkpoint-missing', number: 1 })]);
    expect(full.first!.message).toMatch(/in PostgreSQL but not in the archive/);
    expect(alone.findings).toEqual([expect.objectContaining({ kind: 'checkpoint-missing', number: 1 })]);
  });

  it("a checkpoint's copy forged: another root, signed with another key", async () => {
    const { full, alone } = await tampered(async (copy) => {
      const text = Buffer.concat(await (await copy.archive.get(checkpointKey(2))).toArray()).toString();
      const { body } = signedCheckpointSchema.parse(JSON.parse(text));
      const forged = await signCheckpoint({ ...body, rootHash: 'ef'.repeat(32) }, testSigner());
      await copy.archive.put(checkpointKey(2), Readable.from([Buffer.from(JSON.stringify(forged))]));
    });
    for (const report of [full, alone]) expect(report.first).toMatchObject({ kind: 'checkpoint-forged', number: 2 });
    expect(full.findings).toHaveLength(1);
  });

  it('a leaves copy changed: with PostgreSQL the changed leaf is named, alone the root it breaks', async () => {
    const { full, alone } = await tampered(async (copy) => {
      const key = leavesKey(60);
      const bytes = Buffer.concat(await (await copy.archive.get(key)).toArray());
      bytes[32 * 5] = bytes[32 * 5]! ^ 0xff;
      await copy.archive.put(key, Readable.from([bytes]));
    });
    expect(full.findings).toEqual([
      expect.objectContaining({ kind: 'archive-file-replaced', key: leavesKey(60), seq: 65 }),
    ]);
    expect(alone.first).toMatchObject({ kind: 'leaves-tampered', number: 1, seqs: { from: 60, to: 119 } });
  });
});
