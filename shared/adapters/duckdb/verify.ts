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
import { monthLog } from '../postgres/maintenance/month-log.ts';
import { duckLiteral } from './duckdb.ts';
import { duckRowText, exportFrom, pgRowText } from './export.ts';

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
 * Reads back what was archived: the manifest (its place in the log too), every file's SHA-256 and row count, its
 * schema, every row's log_seq and leaf_hash against event_log, and a sample of rows compared whole with the partition. One file at a time is downloaded, so the local disk needed is one file's size.
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
  const log = await monthLog(client, input.table);
  if (JSON.stringify(manifest.log) !== JSON.stringify(log))
    fail(`the manifest's log is ${JSON.stringify(manifest.log)}, the log says ${JSON.stringify(log)}`);

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
      await compareLeaves(duck, client, source, file.key, fail);
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

/** Rows per comparison of (id, log_seq, leaf_hash) with event_log: one statement's arrays. */
const LEAF_BATCH = 10_000;

/**
 * Every row's (log_seq, leaf_hash) must be event_log's for its id: the file's rows are the ones the log sealed. One
 * index lookup per row (OFFSET 0 keeps it a lateral lookup), never a scan of the whole log per batch.
 */
async function compareLeaves(
  duck: DuckDBConnection,
  client: pg.ClientBase,
  source: string,
  key: string,
  fail: (what: string) => never,
): Promise<void> {
  const stream = await duck.stream(`SELECT id, log_seq::VARCHAR, leaf_hash FROM ${source}`);
  let batch: (string | null)[][] = [];
  const check = async () => {
    const { rows } = await client.query<{ id: string }>(
      `SELECT f.id FROM unnest($1::text[], $2::bigint[], $3::text[]) WITH ORDINALITY AS f(id, seq, leaf, ord)
         LEFT JOIN LATERAL (SELECT seq, leaf_hash FROM event_log WHERE event_id = f.id::uuid OFFSET 0) l ON true
        WHERE l.seq IS NULL OR l.seq IS DISTINCT FROM f.seq OR encode(l.leaf_hash, 'hex') IS DISTINCT FROM f.leaf
        ORDER BY f.ord LIMIT 1`,
      [batch.map((row) => row[0]), batch.map((row) => row[1]), batch.map((row) => row[2])],
    );
    if (rows[0]) fail(`${key}: event ${rows[0].id} has a log_seq or leaf_hash that is not event_log's`);
    batch = [];
  };
  for await (const chunk of stream.yieldRows()) {
    batch.push(...(chunk as (string | null)[][]));
    if (batch.length >= LEAF_BATCH) await check();
  }
  if (batch.length > 0) await check();
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
    text: `SELECT ${pgRowText} FROM ${exportFrom(table)}
            WHERE (e.occurred_at, e.id) IN (SELECT timestamptz 'epoch' + t * interval '1 microsecond', i
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
