import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { archivedRowToEvent } from '../../core/archive/archived-event.ts';
import { ARCHIVE_COLUMNS, DUCKDB_TYPES } from '../../core/archive/schema.ts';
import type { StoredEvent } from '../../core/domain/event.ts';
import type { ArchivedFile, ArchivedRow, ArchivedRows, LogArchiveReader } from '../../core/ports/log-audit.ts';
import type { ObjectStore } from '../../core/ports/object-store.ts';
import { duckLiteral, openDuckDb } from './duckdb.ts';
import { download } from './verify.ts';

/** The columns the log adds to an archived row; files written before the log (schema version 1) lack them. */
const LOG_COLUMNS = ['log_seq', 'leaf_hash'];
const EXPECTED = ARCHIVE_COLUMNS.map(({ name, glueType }) => `${name} ${DUCKDB_TYPES[glueType]}`);
const BEFORE_LOG = ARCHIVE_COLUMNS.filter((c) => !LOG_COLUMNS.includes(c.name)).map(
  ({ name, glueType }) => `${name} ${DUCKDB_TYPES[glueType]}`,
);
const EVENT_COLUMNS = ARCHIVE_COLUMNS.filter((c) => !LOG_COLUMNS.includes(c.name));

/** Each column as text; instants as epoch milliseconds (the precision PostgreSQL stores). */
const ROW_TEXT = [
  ...EVENT_COLUMNS.map(({ name, glueType }) =>
    glueType === 'timestamp' ? `epoch_ms("${name}")::VARCHAR` : `"${name}"::VARCHAR`,
  ),
  '"log_seq"::VARCHAR',
  '"leaf_hash"',
  'filename',
].join(', ');

/**
 * The archive as verification reads it (core/ports/log-audit.ts), through the ObjectStore port: the log's copies
 * as objects, and the archived Parquet files fetched one at a time into a folder of its own, hashed as they arrive,
 * then read together by DuckDB in log_seq order (sorted out of core, within DuckDB's memory limit), so that nothing
 * is read from a file other than the one hashed. Needs only read access to the archive.
 */
export function archiveLogReader(store: ObjectStore, options: { workDir: string }): LogArchiveReader {
  return {
    url: store.url,
    list: (prefix) => store.list(prefix),
    async read(key) {
      if (!(await store.head(key))) return undefined;
      const chunks: Buffer[] = [];
      for await (const chunk of await store.get(key)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    async *stream(key) {
      if (!(await store.head(key))) return;
      for await (const chunk of await store.get(key)) yield chunk as Buffer;
    },
    openRows: (keys) => openArchivedRows(store, keys, options.workDir),
  };
}

async function openArchivedRows(store: ObjectStore, keys: readonly string[], workDir: string): Promise<ArchivedRows> {
  if (keys.length === 0) return { files: [], rows: async function* () {}, close: async () => undefined };
  await mkdir(workDir, { recursive: true });
  const dir = await mkdtemp(join(workDir, 'verify-'));
  let duck: Awaited<ReturnType<typeof openDuckDb>> | undefined;
  try {
    duck = await openDuckDb({ workDir: join(dir, 'duckdb') });
    const files: ArchivedFile[] = [];
    const readable = new Map<string, string>();
    for (const [i, key] of keys.entries()) {
      const local = join(dir, `${i}.parquet`);
      const sha256 = await downloadIfPresent(store, key, local);
      if (sha256 === undefined) {
        files.push({ key, present: false });
        continue;
      }
      const file = await describe(duck.connection, local);
      files.push({ key, present: true, sha256, ...file });
      if (!file.unreadable && file.columns?.join() === EXPECTED.join()) readable.set(local, key);
    }
    const connection = duck.connection;
    const opened = duck;
    return {
      files,
      rows: () => archivedRows(connection, readable),
      async close() {
        opened.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    duck?.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** What one file holds: its columns, rows, rows without a place in the log, and its greatest log_seq. */
async function describe(duck: DuckDBConnection, local: string) {
  const source = `read_parquet(${duckLiteral(local)})`;
  try {
    const schema = (await duck.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRowObjectsJson();
    const columns = schema.map((c) => `${c.column_name} ${c.column_type}`);
    if (columns.join() === BEFORE_LOG.join()) {
      const [[rows]] = (await duck.runAndReadAll(`SELECT count(*) FROM ${source}`)).getRows() as [[bigint]];
      return { columns, rows: Number(rows), outsideLog: Number(rows), maxSeq: null };
    }
    if (columns.join() !== EXPECTED.join())
      return { columns, unreadable: `its columns are ${columns.join(', ')}, not the archive's` };
    const [[rows, outside, max]] = (
      await duck.runAndReadAll(`SELECT count(*), count(*) FILTER (log_seq IS NULL), max(log_seq) FROM ${source}`)
    ).getRows() as [[bigint, bigint, bigint | null]];
    return { columns, rows: Number(rows), outsideLog: Number(outside), maxSeq: max === null ? null : Number(max) };
  } catch (error) {
    return { unreadable: (error as Error).message.split('\n')[0] };
  }
}

/** The readable files' rows that have a place in the log, in log_seq order, streamed. */
async function* archivedRows(
  duck: DuckDBConnection,
  files: ReadonlyMap<string, string>,
): AsyncGenerator<ArchivedRow[]> {
  if (files.size === 0) return;
  const list = [...files.keys()].map(duckLiteral).join(', ');
  const result = await duck.stream(
    `SELECT ${ROW_TEXT} FROM read_parquet([${list}], filename = true) WHERE log_seq IS NOT NULL ORDER BY log_seq, filename`,
  );
  for await (const chunk of result.yieldRows())
    yield (chunk as (string | null)[][]).map((values) => archivedRow(values, files));
}

function archivedRow(values: readonly (string | null)[], files: ReadonlyMap<string, string>): ArchivedRow {
  const n = EVENT_COLUMNS.length;
  return {
    key: files.get(values[n + 2]!) ?? values[n + 2]!,
    seq: Number(values[n]),
    leafHash: values[n + 1] ?? '',
    event: eventOf(values),
  };
}

/** The row as the event PostgreSQL held (core/archive/archived-event.ts), or why it is not one. */
function eventOf(values: readonly (string | null)[]): StoredEvent | { unreadable: string } {
  const row = Object.fromEntries(
    EVENT_COLUMNS.map(({ name, glueType }, i) => {
      const value = values[i] ?? null;
      return [name, glueType === 'timestamp' && value !== null ? new Date(Number(value)).toISOString() : value];
    }),
  );
  try {
    return archivedRowToEvent(row);
  } catch (error) {
    return { unreadable: `cannot be read as an event: ${(error as Error).message}` };
  }
}

/** The object into a local file, hashed on the way; undefined when there is no such object. */
async function downloadIfPresent(store: ObjectStore, key: string, local: string): Promise<string | undefined> {
  return (await store.head(key)) ? download(store, key, local) : undefined;
}
