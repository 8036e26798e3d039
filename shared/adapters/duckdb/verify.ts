import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import pg from 'pg';
import type { ArchiveManifest, ManifestFile } from '../../core/archive/manifest.ts';
import { ARCHIVE_COLUMNS, ARCHIVE_SCHEMA_VERSION, DUCKDB_TYPES } from '../../core/archive/schema.ts';
import type { ObjectStore } from '../../core/ports/object-store.ts';
import { duckLiteral } from './duckdb.ts';
import { duckRowText, pgRowText } from './export.ts';

export interface VerifyInput {
  store: ObjectStore;
  duck: DuckDBConnection;
  client: pg.ClientBase;
  /** The month's partition, still attached: the source of truth the archive is compared with. */
  table: string;
  manifestKey: string;
  /** The files the export step recorded: the manifest must list exactly these. */
  exported: readonly ManifestFile[];
  workDir: string;
  /** Rows per file compared column by column with PostgreSQL. */
  samplePerFile?: number;
}

/**
 * Reads back what was archived: the manifest, every file's SHA-256 and row count, its schema, and a sample of rows
 * compared with the partition. One file at a time is downloaded, so the local disk needed is one file's size.
 * Throws, naming what differs, unless everything matches.
 */
export async function verifyArchive(input: VerifyInput): Promise<{ rowCount: number }> {
  const { store, duck, client, workDir } = input;
  const manifest = JSON.parse(await readText(store, input.manifestKey)) as ArchiveManifest;
  const fail = (what: string) => {
    throw new Error(`archive verification of ${input.manifestKey} failed: ${what}`);
  };
  if (manifest.schemaVersion !== ARCHIVE_SCHEMA_VERSION) fail(`schema version ${manifest.schemaVersion}`);
  if (JSON.stringify(manifest.files) !== JSON.stringify(input.exported)) fail('files differ from what was exported');
  const table = pg.escapeIdentifier(input.table);
  const { rows } = await client.query<{ count: string }>(`SELECT count(*) AS count FROM ${table}`);
  if (Number(rows[0]!.count) !== manifest.rowCount)
    fail(`${rows[0]!.count} rows in ${input.table}, ${manifest.rowCount} in the manifest`);

  let total = 0;
  let min: bigint | null = null;
  let max: bigint | null = null;
  for (const file of manifest.files) {
    const local = join(workDir, `verify-${file.sha256.slice(0, 16)}.parquet`);
    try {
      const sha256 = await download(store, file.key, local);
      if (sha256 !== file.sha256) fail(`${file.key} has sha256 ${sha256}, the manifest says ${file.sha256}`);
      const source = `read_parquet(${duckLiteral(local)})`;
      const schema = (await duck.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRowObjectsJson();
      const expected = ARCHIVE_COLUMNS.map(({ name, glueType }) => `${name} ${DUCKDB_TYPES[glueType]}`);
      if (JSON.stringify(schema.map((c) => `${c.column_name} ${c.column_type}`)) !== JSON.stringify(expected))
        fail(`${file.key} has columns ${schema.map((c) => `${c.column_name} ${c.column_type}`).join(', ')}`);
      const stats = (
        await duck.runAndReadAll(
          `SELECT count(*) AS n, min(epoch_us(occurred_at)) AS lo, max(epoch_us(occurred_at)) AS hi FROM ${source}`,
        )
      ).getRows()[0]!;
      if (Number(stats[0]) !== file.rows) fail(`${file.key} holds ${stats[0]} rows, the manifest says ${file.rows}`);
      total += file.rows;
      const [lo, hi] = [stats[1] as bigint, stats[2] as bigint];
      if (min === null || lo < min) min = lo;
      if (max === null || hi > max) max = hi;
      await compareSample(duck, client, source, table, input.samplePerFile ?? 25, fail);
    } finally {
      await rm(local, { force: true });
    }
  }
  if (total !== manifest.rowCount) fail(`files hold ${total} rows, the manifest says ${manifest.rowCount}`);
  const iso = (us: bigint | null) => (us === null ? null : new Date(Number(us / 1000n)).toISOString());
  if (iso(min) !== manifest.minOccurredAt || iso(max) !== manifest.maxOccurredAt)
    fail(
      `occurred_at spans ${iso(min)}..${iso(max)}, the manifest says ${manifest.minOccurredAt}..${manifest.maxOccurredAt}`,
    );
  return { rowCount: total };
}

/** A sample of the file's rows, every column as text, must equal the same rows read from PostgreSQL. */
async function compareSample(
  duck: DuckDBConnection,
  client: pg.ClientBase,
  source: string,
  table: string,
  size: number,
  fail: (what: string) => never,
): Promise<void> {
  const sample = (
    await duck.runAndReadAll(`SELECT ${duckRowText} FROM ${source} USING SAMPLE reservoir(${size} ROWS) REPEATABLE (7)`)
  ).getRows() as (string | null)[][];
  if (sample.length === 0) return;
  const idAt = ARCHIVE_COLUMNS.findIndex((c) => c.name === 'id');
  const occurredAt = ARCHIVE_COLUMNS.findIndex((c) => c.name === 'occurred_at');
  const { rows } = await client.query({
    text: `SELECT ${pgRowText} FROM ${table}
            WHERE (occurred_at, id) IN (SELECT timestamptz 'epoch' + t * interval '1 microsecond', i
                                          FROM unnest($1::bigint[], $2::uuid[]) AS s(t, i))`,
    values: [sample.map((row) => row[occurredAt]), sample.map((row) => row[idAt])],
    rowMode: 'array',
  });
  const fromPg = new Map((rows as (string | null)[][]).map((row) => [row[idAt], JSON.stringify(row)]));
  for (const row of sample) {
    if (fromPg.get(row[idAt]!) !== JSON.stringify(row)) fail(`event ${row[idAt]} differs from PostgreSQL`);
  }
}

/** The object into a local file, hashed on the way: its SHA-256 (hex). */
export async function download(store: ObjectStore, key: string, local: string): Promise<string> {
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(await store.get(key), tap, createWriteStream(local));
  return hash.digest('hex');
}

async function readText(store: ObjectStore, key: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
