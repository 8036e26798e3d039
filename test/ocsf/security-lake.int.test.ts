import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDb } from '../../shared/adapters/duckdb/duckdb.ts';
import { FileObjectStore } from '../../shared/adapters/files/file-store.ts';
import { runMaintenance } from '../../shared/adapters/postgres/maintenance/maintain.ts';
import { deriveSecurityLakeMonth, type SecurityLakeTarget } from '../../shared/apps/archive/security-lake.ts';
import { securityLakeStore } from '../../shared/apps/maintenance/security-lake.ts';
import { archiveFileKey } from '../../shared/core/archive/schema.ts';
import { BUILT_IN_EVENT_TYPES } from '../../shared/core/domain/catalog.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import type { Month } from '../../shared/core/domain/month.ts';
import { OCSF_CLASS_KEYS, OCSF_CLASSES, type OcsfClassKey } from '../../shared/core/ocsf/classes.ts';
import { type OcsfRecord, ocsfClassOf } from '../../shared/core/ocsf/mapping.ts';
import { ocsfParquetColumns } from '../../shared/core/ocsf/parquet-schema.ts';
import { ocsfProblems } from '../../shared/core/ocsf/validate.ts';
import { insertEvents } from '../lifecycle/fixture.ts';
import { SAMPLES } from '../support/catalog-samples.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { s3Wire } from '../support/s3-wire.ts';
import { sealAll } from '../support/seal-all.ts';

const JAN: Month = { year: 2024, month: 1 };
const DAYS = ['2024-01-03', '2024-01-17', '2024-01-31'];

let db: TestDatabase;
let dir: string;
let archive: FileObjectStore;
let lakeStore: FileObjectStore;
let lake: SecurityLakeTarget;

/** One event of every built-in type on each of three days of January (the last one a second before February). */
function januaryEvents(): StoredEvent[] {
  return DAYS.flatMap((day) =>
    BUILT_IN_EVENT_TYPES.map((definition, i) => ({
      id: randomUUID(),
      type: definition.type,
      severity: definition.defaultSeverity,
      occurredAt: new Date(Date.parse(`${day}T23:59:59.000Z`) - i * 1000).toISOString(),
      receivedAt: new Date(Date.parse(`${day}T23:59:59.500Z`) - i * 1000).toISOString(),
      entity: { type: definition.type.split('.')[0]!, id: `x-${i}` },
      related: [],
      actor: { type: 'user', id: 'alice' },
      source: { channel: 'http', principal: 'alice', ip: '198.51.100.4' },
      payload: SAMPLES[definition.type]!.good,
    })),
  );
}

beforeAll(async () => {
  db = await createTestDatabase('ocsf_lake');
  dir = await mkdtemp(join(tmpdir(), 'ocsf-lake-'));
  archive = new FileObjectStore(join(dir, 'archive'));
  lakeStore = new FileObjectStore(join(dir, 'lake'));
  lake = {
    store: lakeStore,
    region: 'eu-west-1',
    accountId: '123456789012',
    sourcePrefix: 'fleet-audit',
    product: { name: 'Fleet audit trail', vendor_name: 'Example Co', version: '0.1.0' },
  };
  await insertEvents(db.pool, januaryEvents(), { sealed: false });
  await sealAll(db.pool, archive);
  const result = await runMaintenance(
    { pool: db.pool, store: archive },
    {
      now: new Date('2025-04-15T08:00:00Z'),
      retentionMonths: 13,
      premakeMonths: 0,
      workDir: join(dir, 'work'),
      rowsPerFile: 1000,
      sealWaitMs: 0,
    },
  );
  expect(result.archived.map((a) => [a.month, a.rows])).toEqual([
    ['2024-01', DAYS.length * BUILT_IN_EVENT_TYPES.length],
  ]);
});
afterAll(async () => {
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('OCSF for Security Lake, derived from an archived month', () => {
  it('writes one Parquet object per class and day under ext/<source>/region=/accountId=/eventDay=, with the OCSF columns', async () => {
    const written = await deriveSecurityLakeMonth({
      archive,
      lake,
      month: JAN,
      generation: 1,
      workDir: join(dir, 'w'),
    });
    const classes = [...new Set(BUILT_IN_EVENT_TYPES.map((d) => ocsfClassOf(d.type)))].sort();
    expect(written).toHaveLength(classes.length * DAYS.length);
    const listed = (await lake.store.list('')).map((o) => o.key);
    expect(listed).toEqual(written.map((w) => w.key));
    for (const object of written) {
      const suffix = OCSF_CLASSES[object.ocsfClass].sourceSuffix;
      expect(object.key).toMatch(
        new RegExp(
          `^ext/fleet-audit-${suffix}/region=eu-west-1/accountId=123456789012/eventDay=(20240103|20240117|20240131)/fleet-audit-2024-01-g1\\.parquet$`,
        ),
      );
    }
    expect(written.reduce((sum, w) => sum + w.rows, 0)).toBe(DAYS.length * BUILT_IN_EVENT_TYPES.length);

    const duck = await openDuckDb({ workDir: join(dir, 'duck') });
    try {
      for (const object of written) {
        // Read as the file it is: DuckDB would otherwise add the key's region=/accountId=/eventDay= as columns.
        const file = `'${lakeStore.pathOf(object.key)}', hive_partitioning = false`;
        const described = (await duck.connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${file})`))
          .getRowObjectsJson()
          .map((c) => [c.column_name, String(c.column_type).replaceAll('"', '')]);
        expect(described).toEqual(
          ocsfParquetColumns(object.ocsfClass).map(([name, type]) => [name, type.replaceAll('"', '')]),
        );
        const rows = (
          await duck.connection.runAndReadAll(`SELECT to_json(p)::VARCHAR AS j FROM read_parquet(${file}) p`)
        )
          .getRowObjectsJson()
          .map((r) => JSON.parse(String(r.j)) as OcsfRecord);
        expect(rows).toHaveLength(object.rows);
        const times = rows.map((r) => r.time);
        expect(times).toEqual([...times].sort((a, b) => a - b));
        for (const record of rows) {
          expect(record.class_uid).toBe(OCSF_CLASSES[object.ocsfClass].uid);
          expect(ocsfProblems(record)).toEqual([]);
          const day = object.key.match(/eventDay=(\d{8})/)![1];
          expect(new Date(record.time).toISOString().slice(0, 10).replaceAll('-', '')).toBe(day);
        }
      }
    } finally {
      duck.close();
    }
  });

  it('derives the same objects again (same keys, same bytes), and refuses a file that is not what the manifest says', async () => {
    const first = await deriveSecurityLakeMonth({ archive, lake, month: JAN, generation: 1, workDir: join(dir, 'w') });
    const again = await deriveSecurityLakeMonth({ archive, lake, month: JAN, generation: 1, workDir: join(dir, 'w') });
    expect(again.map((o) => [o.key, o.rows, o.sha256])).toEqual(first.map((o) => [o.key, o.rows, o.sha256]));

    const archived = archive.pathOf(archiveFileKey(JAN, 1, 0));
    const original = await readFile(archived);
    await writeFile(archived, Buffer.concat([original, Buffer.from('x')]));
    try {
      await expect(
        deriveSecurityLakeMonth({ archive, lake, month: JAN, generation: 1, workDir: join(dir, 'w') }),
      ).rejects.toThrow(/part-g1-00000\.parquet has sha256 [0-9a-f]{64}, the manifest says/);
    } finally {
      await writeFile(archived, original);
    }
    await expect(
      deriveSecurityLakeMonth({
        archive,
        lake,
        month: { year: 2023, month: 12 },
        generation: 1,
        workDir: join(dir, 'w'),
      }),
    ).rejects.toThrow('the manifest events/year=2023/month=12/_manifest.json: it is gone');
  });

  it("on AWS, writes each class's objects through its own source's provider role (STS and S3 stood in for)", async () => {
    const sts = mockClient(STSClient);
    sts.on(AssumeRoleCommand).callsFake((input: { RoleArn: string }) => ({
      Credentials: {
        AccessKeyId: `AKIA-${input.RoleArn.split('/').pop()}`,
        SecretAccessKey: 'secret',
        SessionToken: `token-${input.RoleArn}`,
        Expiration: new Date(Date.now() + 3_600_000),
      },
    }));
    const wire = s3Wire();
    const roleOf = (key: string) => `arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-${key}`;
    try {
      const store = securityLakeStore(
        {
          SECURITY_LAKE_BUCKET: 'aws-security-data-lake-eu-west-1-abc123',
          SECURITY_LAKE_SOURCE_PREFIX: 'fleet-audit',
          SECURITY_LAKE_PROVIDER_ROLES: Object.fromEntries(OCSF_CLASS_KEYS.map((k) => [k, roleOf(k)])) as Record<
            OcsfClassKey,
            string
          >,
          SECURITY_LAKE_EXTERNAL_ID: 'fleet-audit-external-id',
        },
        {
          sts: () => new STSClient({ region: 'eu-west-1' }),
          s3: (credentials) => new S3Client({ region: 'eu-west-1', requestHandler: wire.handler, credentials }),
        },
      )!;
      const written = await deriveSecurityLakeMonth({
        archive,
        lake: { ...lake, store },
        month: JAN,
        generation: 1,
        workDir: join(dir, 'w'),
      });
      expect(wire.signed.map((r) => r.path.slice(1)).sort()).toEqual(written.map((w) => w.key));
      for (const object of written) {
        const request = wire.signed.find((r) => r.path === `/${object.key}`)!;
        expect([request.method, request.accessKeyId, request.sessionToken]).toEqual([
          'PUT',
          `AKIA-AmazonSecurityLake-Provider-${object.ocsfClass}`,
          `token-${roleOf(object.ocsfClass)}`,
        ]);
      }
      // One AssumeRole per class for the whole month, each with the external id.
      expect(
        sts
          .commandCalls(AssumeRoleCommand)
          .map((c) => [c.args[0].input.RoleArn, c.args[0].input.ExternalId])
          .sort(),
      ).toEqual(OCSF_CLASS_KEYS.map((k) => [roleOf(k), 'fleet-audit-external-id']).sort());
    } finally {
      sts.restore();
    }
  });
});
