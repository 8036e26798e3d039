import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArchiveJobs } from '../../shared/adapters/duckdb/archive-jobs.ts';
import { exportFrom, pgRowText } from '../../shared/adapters/duckdb/export.ts';
import { openLocalArchiveQuery } from '../../shared/adapters/duckdb/local-query.ts';
import { FileObjectStore } from '../../shared/adapters/files/file-store.ts';
import { listArchiveSteps } from '../../shared/adapters/postgres/maintenance/archive-state.ts';
import { type MaintenanceOptions, runMaintenance } from '../../shared/adapters/postgres/maintenance/maintain.ts';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { PgQueryStore } from '../../shared/adapters/postgres/pg-query-store.ts';
import { entityHistory } from '../../shared/apps/history.ts';
import { bindNamedQuery, NAMED_QUERIES, type NamedQueryName } from '../../shared/core/archive/named-queries.ts';
import { ARCHIVE_COLUMNS, DUCKDB_TYPES } from '../../shared/core/archive/schema.ts';
import { addMonths, formatMonth, type Month, monthRange, partitionName } from '../../shared/core/domain/month.ts';
import { ARCHIVE_STEPS } from '../../shared/core/lifecycle/result.ts';
import type { ArchiveQueryEngine } from '../../shared/core/ports/archive-query.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { insertEvents, monthEvents, partitionNames } from './fixture.ts';

const FIRST: Month = { year: 2024, month: 1 };
const MONTHS = monthRange(FIRST, { year: 2025, month: 4 }); // 16 months
const PER_MONTH = 300;

let db: TestDatabase;
let dir: string;
let store: FileObjectStore;
let archive: ArchiveQueryEngine | undefined;
/** Every row of the first months as PostgreSQL returned it before maintenance dropped them. */
let pgBefore: string[][];
/** Each named query's rows from PostgreSQL over the same months, before the drop. */
const pgNamed = new Map<string, string[][]>();

const maintain = (now: string, extra: Partial<MaintenanceOptions> = {}) =>
  runMaintenance(
    { pool: db.pool, store },
    {
      now: new Date(now),
      retentionMonths: 13,
      premakeMonths: 3,
      workDir: join(dir, 'work'),
      rowsPerFile: 120,
      ...extra,
    },
  );
const countPg = async () => Number((await db.pool.query('SELECT count(*) FROM events')).rows[0].count);
const queryArchive = async (sql: string, params: string[] = []) => {
  await archive?.close();
  archive = await openLocalArchiveQuery(store.root, join(dir, 'query'));
  return archive.run(sql, params);
};
const countArchive = async () => Number((await queryArchive('SELECT count(*) FROM events')).rows[0]![0]);

// What each named query returns, written for PostgreSQL over the events table (no year/month columns there).
const WINDOW = { since: '2024-01-01 00:00:00.000', until: '2024-03-01 00:00:00.000' };
const NAMED_CASES: { name: NamedQueryName; args: Record<string, string>; pg: string; pgArgs: unknown[] }[] = [
  {
    name: 'entity-events',
    args: { entity_type: 'sensor', entity_id: 's-2', ...WINDOW },
    pg: `SELECT id::text FROM events WHERE entity_type = 'sensor' AND entity_id = 's-2' AND occurred_at >= $1 AND occurred_at < $2 ORDER BY occurred_at DESC, id DESC`,
    pgArgs: ['2024-01-01Z', '2024-03-01Z'],
  },
  {
    name: 'critical-by-month',
    args: { from_month: '2024-01', to_month: '2024-02' },
    pg: `SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY'), to_char(occurred_at AT TIME ZONE 'UTC', 'MM'), type, count(*)::text
           FROM events WHERE severity = 'CRITICAL' AND occurred_at < $1 GROUP BY 1, 2, 3 ORDER BY 1, 2, 4 DESC, 3`,
    pgArgs: ['2024-03-01Z'],
  },
  {
    name: 'top-override-actors',
    args: WINDOW,
    pg: `SELECT actor, count(*)::text, count(DISTINCT entity_type || ':' || entity_id)::text FROM events
          WHERE type IN ('user.override', 'controller.register.overridden') AND occurred_at >= $1 AND occurred_at < $2
          GROUP BY actor ORDER BY 2 DESC, actor LIMIT 50`,
    pgArgs: ['2024-01-01Z', '2024-03-01Z'],
  },
  {
    name: 'error-rate-by-type-day',
    args: WINDOW,
    pg: `SELECT (occurred_at AT TIME ZONE 'UTC')::date::text, type, count(*)::text,
                sum(CASE WHEN severity_number >= 17 THEN 1 ELSE 0 END)::text,
                round(sum(CASE WHEN severity_number >= 17 THEN 1 ELSE 0 END)::numeric / count(*), 4)::float8::text
           FROM events WHERE occurred_at >= $1 AND occurred_at < $2 GROUP BY 1, 2 ORDER BY 1, 2`,
    pgArgs: ['2024-01-01Z', '2024-03-01Z'],
  },
  {
    name: 'operator-activity',
    args: { actor: 'user:alice', ...WINDOW },
    pg: `SELECT id::text FROM events WHERE actor = 'user:alice' AND occurred_at >= $1 AND occurred_at < $2 ORDER BY occurred_at, id`,
    pgArgs: ['2024-01-01Z', '2024-03-01Z'],
  },
];

beforeAll(async () => {
  db = await createTestDatabase('lifecycle_maintenance');
  dir = await mkdtemp(join(tmpdir(), 'maintenance-'));
  store = new FileObjectStore(join(dir, 'archive'));
  for (const month of MONTHS) await insertEvents(db.pool, monthEvents(month, PER_MONTH));
  const { rows } = await db.pool.query({
    text: `SELECT ${pgRowText} FROM ${exportFrom('events')} WHERE e.occurred_at < '2024-05-01Z' ORDER BY e.occurred_at, e.id`,
    rowMode: 'array',
  });
  pgBefore = rows;
  for (const c of NAMED_CASES)
    pgNamed.set(c.name, (await db.pool.query({ text: c.pg, values: c.pgArgs, rowMode: 'array' })).rows);
});
afterAll(async () => {
  await archive?.close();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('maintenance with an injected clock', () => {
  it('at 2025-04-15: premakes 3 months, archives and drops the months past 13 months of retention', async () => {
    const result = await maintain('2025-04-15T08:00:00Z');
    expect(result.status).toBe('done');
    expect(result.created.map((c) => c.month)).toEqual(['2025-05', '2025-06', '2025-07']);
    expect(result.archived.map((a) => [a.month, a.generation, a.rows])).toEqual([
      ['2024-01', 1, PER_MONTH],
      ['2024-02', 1, PER_MONTH],
    ]);
    expect(result.dropped).toEqual(['2024-01', '2024-02']);
    expect(await partitionNames(db.pool)).toEqual(
      monthRange({ year: 2024, month: 3 }, { year: 2025, month: 7 }).map(partitionName),
    );
    expect((await countPg()) + (await countArchive())).toBe(MONTHS.length * PER_MONTH);
    const states = await db.pool.query(
      `SELECT to_char(month, 'YYYY-MM') AS month, step FROM archive_steps WHERE finished_at IS NOT NULL ORDER BY 1, started_at`,
    );
    expect(states.rows.filter((r) => r.month === '2024-01').map((r) => r.step)).toEqual([
      'export',
      'manifest',
      'verify',
      'detach',
      'drop',
    ]);
  });

  it('an archived month keeps its ids: a resend is a no-op, another event under one of them a conflict', async () => {
    const [archived] = monthEvents(FIRST, PER_MONTH);
    const writer = new PgEventStore(db.pool);
    expect(await writer.write([{ ...archived!, receivedAt: '2025-04-15T09:00:00.000Z' }])).toEqual({
      inserted: [],
      conflicts: [],
    });
    const reused = { ...archived!, entity: { type: 'robot', id: 'r-other' }, occurredAt: '2025-04-15T07:00:00.000Z' };
    expect(await writer.write([reused])).toEqual({
      inserted: [],
      conflicts: [{ index: 0, storedOccurredAt: archived!.occurredAt }],
    });
    // Nothing was stored, so the dropped month did not come back.
    expect(await partitionNames(db.pool)).not.toContain(partitionName(FIRST));
    expect((await countPg()) + (await countArchive())).toBe(MONTHS.length * PER_MONTH);
  });

  it('lists every recorded step, month by month, as trail archive status shows them', async () => {
    const steps = await listArchiveSteps(db.pool);
    expect(steps.map((s) => `${s.month} g${s.generation} ${s.step}`)).toEqual(
      ['2024-01', '2024-02'].flatMap((month) => ARCHIVE_STEPS.map((step) => `${month} g1 ${step}`)),
    );
    const exported = steps.find((s) => s.month === '2024-01' && s.step === 'export')!;
    expect(exported).toMatchObject({ rowCount: PER_MONTH, files: 3, error: null });
    expect(exported.finishedAt).toBeInstanceOf(Date);
  });

  it('writes Hive folders of bounded Parquet files and a manifest with counts, time span and checksums', async () => {
    const keys = (await store.list('events/year=2024/month=01/')).map((o) => o.key);
    expect(keys).toEqual([
      'events/year=2024/month=01/_manifest.json',
      'events/year=2024/month=01/part-g1-00000.parquet',
      'events/year=2024/month=01/part-g1-00001.parquet',
      'events/year=2024/month=01/part-g1-00002.parquet',
    ]);
    const manifest = JSON.parse(
      Buffer.concat(await (await store.get('events/year=2024/month=01/_manifest.json')).toArray()).toString(),
    );
    expect(manifest).toMatchObject({
      schemaVersion: 2,
      month: '2024-01',
      generation: 1,
      rowCount: PER_MONTH,
      minOccurredAt: monthEvents(FIRST, PER_MONTH)[0]!.occurredAt,
      maxOccurredAt: monthEvents(FIRST, PER_MONTH).at(-1)!.occurredAt,
    });
    expect(manifest.files.map((f: { rows: number }) => f.rows)).toEqual([120, 120, 60]);
    expect(manifest.files.every((f: { sha256: string }) => /^[0-9a-f]{64}$/.test(f.sha256))).toBe(true);
  });

  it('writes the Parquet schema the Glue table declares', async () => {
    const { rows } = await queryArchive(
      `DESCRIBE SELECT * FROM read_parquet('${store.pathOf('events/year=2024/month=01/part-g1-00000.parquet')}', hive_partitioning = false)`,
    );
    expect(rows.map((r) => [r[0], r[1]])).toEqual(ARCHIVE_COLUMNS.map((c) => [c.name, DUCKDB_TYPES[c.glueType]]));
    const view = await queryArchive('DESCRIBE events');
    expect(view.rows.map((r) => r[0])).toEqual([...ARCHIVE_COLUMNS.map((c) => c.name), 'year', 'month']);
  });

  it('re-running at the same instant changes nothing', async () => {
    const files = await store.list('');
    const result = await maintain('2025-04-15T09:00:00Z');
    expect(result).toMatchObject({ status: 'done', created: [], archived: [], dropped: [] });
    expect(await store.list('')).toEqual(files);
  });

  it('at 2025-06-15: two more months leave; PostgreSQL + archive still hold every event exactly once', async () => {
    const result = await maintain('2025-06-15T00:00:00Z');
    expect(result.archived.map((a) => a.month)).toEqual(['2024-03', '2024-04']);
    expect(result.created.map((c) => c.month)).toEqual(['2025-08', '2025-09']);
    expect((await countPg()) + (await countArchive())).toBe(MONTHS.length * PER_MONTH);
    const distinct = await queryArchive('SELECT count(DISTINCT id) FROM events');
    expect(Number(distinct.rows[0]![0])).toBe(4 * PER_MONTH);
  });

  it('the archive returns the rows PostgreSQL returned before the drop', async () => {
    const { rows } = await queryArchive(
      `SELECT ${ARCHIVE_COLUMNS.map(({ name, glueType }) => (glueType === 'timestamp' ? `epoch_us("${name}")::VARCHAR` : `"${name}"::VARCHAR`)).join(', ')}
         FROM events ORDER BY occurred_at, id`,
    );
    expect(rows).toEqual(pgBefore);
  });

  it.each(NAMED_CASES)('named query $name returns what PostgreSQL did', async ({ name, args }) => {
    const { sql, values } = bindNamedQuery(NAMED_QUERIES[name], args);
    const { rows } = await queryArchive(sql, values);
    const expected = pgNamed.get(name)!;
    expect(expected.length).toBeGreaterThan(0);
    const width = expected[0]!.length;
    const got =
      name === 'entity-events' || name === 'operator-activity'
        ? rows.map((r) => [r[0]])
        : rows.map((r) => r.slice(0, width));
    expect(got).toEqual(expected);
  });

  it('history merges PostgreSQL and the archive, newest first, saying where each row came from', async () => {
    const history = await entityHistory(
      {
        store: new PgQueryStore(db.pool),
        archiveJobs: new LocalArchiveJobs(() => openLocalArchiveQuery(store.root, join(dir, 'history'))),
      },
      { entity: { type: 'robot', id: 'r-0' }, since: new Date('2024-01-01Z'), until: new Date('2025-05-01Z') },
    );
    const expected = MONTHS.flatMap((m) => monthEvents(m, PER_MONTH)).filter(
      (e) => e.entity.type === 'robot' && e.entity.id === 'r-0',
    );
    expect(history.map((h) => h.id)).toEqual(expected.reverse().map((e) => e.id));
    expect(new Set(history.map((h) => h.source))).toEqual(new Set(['postgres', 'archive']));
    expect(history.filter((h) => h.source === 'archive').every((h) => h.occurredAt < '2024-05-01')).toBe(true);
  });

  it('late events for an archived month land in a recreated partition and become generation 2; verified files stay', async () => {
    const before = await store.list('events/year=2024/month=01/');
    const late = monthEvents(FIRST, 7, 'late');
    await insertEvents(db.pool, late);
    const result = await maintain('2025-06-15T01:00:00Z');
    expect(result.archived.map((a) => [a.month, a.generation, a.rows])).toEqual([['2024-01', 2, 7]]);
    const after = await store.list('events/year=2024/month=01/');
    expect(after.filter((o) => before.some((b) => b.key === o.key))).toEqual(before);
    expect(after.map((o) => o.key).filter((k) => !before.some((b) => b.key === k))).toEqual([
      'events/year=2024/month=01/_manifest-g2.json',
      'events/year=2024/month=01/part-g2-00000.parquet',
    ]);
    expect((await countPg()) + (await countArchive())).toBe(MONTHS.length * PER_MONTH + 7);
  });

  it('catches up after 8 months of downtime: every missing month, no gaps', async () => {
    const result = await maintain('2026-02-15T00:00:00Z');
    expect(result.status).toBe('done');
    expect(result.created.map((c) => c.month)).toEqual(
      monthRange({ year: 2025, month: 10 }, { year: 2026, month: 5 }).map(formatMonth),
    );
    expect(result.archived.map((a) => a.month)).toEqual(
      monthRange({ year: 2024, month: 5 }, { year: 2024, month: 12 }).map(formatMonth),
    );
    const cutoff = addMonths({ year: 2026, month: 2 }, -13);
    expect(await partitionNames(db.pool)).toEqual(monthRange(cutoff, { year: 2026, month: 5 }).map(partitionName));
    expect((await countPg()) + (await countArchive())).toBe(MONTHS.length * PER_MONTH + 7);
  });

  it('keeps every month when RETENTION_MONTHS is 0', async () => {
    const result = await maintain('2030-01-15T00:00:00Z', { retentionMonths: 0, premakeMonths: 0 });
    expect(result.archived).toEqual([]);
    expect(result.skipped).toContainEqual({ what: 'archive', reason: 'RETENTION_MONTHS=0 keeps every month' });
    expect(result.created.at(-1)?.month).toBe('2030-01');
  });
});
