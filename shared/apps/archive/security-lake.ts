import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { archiveLogReader } from '../../adapters/duckdb/archive-reader.ts';
import { openDuckDb } from '../../adapters/duckdb/duckdb.ts';
import { ocsfJsonToParquet } from '../../adapters/duckdb/ocsf-parquet.ts';
import { archiveManifestKey } from '../../core/archive/schema.ts';
import { formatMonth, type Month } from '../../core/domain/month.ts';
import type { OcsfClassKey } from '../../core/ocsf/classes.ts';
import { type OcsfProduct, ocsfClassOf, toOcsf } from '../../core/ocsf/mapping.ts';
import {
  eventDay,
  type LakePartition,
  securityLakeObjectKey,
  securityLakeSourceName,
} from '../../core/ocsf/security-lake.ts';
import type { ObjectStore } from '../../core/ports/object-store.ts';
import { parseManifest } from '../../core/tamper/verify-archive-files.ts';

/** Where OCSF goes: the lake's bucket (or a local folder), and the Region and account its partitions name. */
export interface SecurityLakeTarget {
  store: ObjectStore;
  region: string;
  accountId: string;
  /** Each class's custom source is `<prefix>-<suffix>` (core/ocsf/security-lake.ts). */
  sourcePrefix: string;
  product: OcsfProduct;
}

export interface LakeObject {
  key: string;
  ocsfClass: OcsfClassKey;
  rows: number;
  bytes: number;
  sha256: string;
}

/**
 * Derives Security Lake's OCSF objects from one archived month: reads the generation's manifest, fetches each of
 * its Parquet files and refuses the month unless every file has the SHA-256 and the month the row count the manifest
 * records (what the archive's verify step checked against PostgreSQL), maps every event (core/ocsf/mapping.ts) and
 * writes one Parquet object per class and UTC day under the custom-source layout. Keys are named after the month and
 * generation, so deriving a month again replaces its objects. Reads the archive only; writes the lake only.
 */
export async function deriveSecurityLakeMonth(input: {
  archive: ObjectStore;
  lake: SecurityLakeTarget;
  month: Month;
  generation: number;
  workDir: string;
}): Promise<LakeObject[]> {
  const label = formatMonth(input.month);
  const manifestKey = archiveManifestKey(input.month, input.generation);
  const manifest = parseManifest(await readText(input.archive, manifestKey));
  if (typeof manifest === 'string') throw new Error(`OCSF for ${label}: the manifest ${manifestKey}: ${manifest}`);
  await mkdir(input.workDir, { recursive: true });
  const dir = await mkdtemp(join(input.workDir, 'ocsf-'));
  const opened = await archiveLogReader(input.archive, { workDir: join(dir, 'read') }).openRows(
    manifest.files.map((f) => f.key),
  );
  const outputs = new Map<
    string,
    { partition: LakePartition; ocsfClass: OcsfClassKey; ndjson: string; out: WriteStream }
  >();
  try {
    for (const [i, file] of opened.files.entries()) {
      const expected = manifest.files[i]!;
      if (!file.present) throw new Error(`OCSF for ${label}: ${file.key} is missing from the archive`);
      if (file.sha256 !== expected.sha256)
        throw new Error(
          `OCSF for ${label}: ${file.key} has sha256 ${file.sha256}, the manifest says ${expected.sha256}`,
        );
    }
    let rows = 0;
    for await (const chunk of opened.rows()) {
      for (const row of chunk) {
        if ('unreadable' in row.event) throw new Error(`OCSF for ${label}: ${row.key} ${row.event.unreadable}`);
        const record = toOcsf(row.event, input.lake.product);
        const output = outputFor(outputs, dir, input.lake, ocsfClassOf(row.event.type), eventDay(record.time));
        if (!output.out.write(`${JSON.stringify(record)}\n`))
          await new Promise<void>((r) => output.out.once('drain', () => r()));
        rows++;
      }
    }
    if (rows !== manifest.rowCount)
      throw new Error(`OCSF for ${label}: read ${rows} events, the manifest says ${manifest.rowCount}`);
    const duck = await openDuckDb({ workDir: join(dir, 'duckdb') });
    try {
      const written: LakeObject[] = [];
      for (const { partition, ocsfClass, ndjson, out } of outputs.values()) {
        out.end();
        await finished(out);
        const parquet = `${ndjson}.parquet`;
        const result = await ocsfJsonToParquet(duck.connection, { ndjson, ocsfClass, parquet });
        const key = securityLakeObjectKey(partition, label, input.generation);
        await input.lake.store.put(key, { file: parquet });
        written.push({ key, ocsfClass, ...result });
      }
      return written.sort((a, b) => a.key.localeCompare(b.key));
    } finally {
      duck.close();
    }
  } finally {
    for (const { out } of outputs.values()) out.destroy();
    await opened.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function outputFor(
  outputs: Map<string, { partition: LakePartition; ocsfClass: OcsfClassKey; ndjson: string; out: WriteStream }>,
  dir: string,
  lake: SecurityLakeTarget,
  ocsfClass: OcsfClassKey,
  day: string,
) {
  const id = `${ocsfClass}-${day}`;
  let output = outputs.get(id);
  if (!output) {
    const ndjson = join(dir, `${id}.ndjson`);
    const partition = {
      sourceName: securityLakeSourceName(lake.sourcePrefix, ocsfClass),
      region: lake.region,
      accountId: lake.accountId,
      eventDay: day,
    };
    output = { partition, ocsfClass, ndjson, out: createWriteStream(ndjson) };
    outputs.set(id, output);
  }
  return output;
}

async function readText(store: ObjectStore, key: string): Promise<string | undefined> {
  if (!(await store.head(key))) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of await store.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
