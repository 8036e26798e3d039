import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../shared/adapters/postgres/migrate.ts';
import { MIGRATIONS } from '../../shared/adapters/postgres/migrations/index.ts';
import { ensureMonthPartitions } from '../../shared/adapters/postgres/partitions.ts';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { PgQueryStore } from '../../shared/adapters/postgres/pg-query-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { planStats } from '../../shared/core/query/rollups.ts';
import { monthEvents } from '../lifecycle/fixture.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

/**
 * Migration 013 counts the events it finds in `events`. A month whose archival had detached its partition but not
 * dropped it yet (a run paused or failed between the two steps) has rows there no more: the rollups cannot hold that
 * month, so /stats must say it is archived rather than count it as (nearly) empty.
 */
const JANUARY = { year: 2024, month: 1 };
const FEBRUARY = { year: 2024, month: 2 };
const upTo = (name: string) => MIGRATIONS.slice(0, MIGRATIONS.findIndex((m) => m.name === name) + 1);

/** January's archival as a run leaves it when it stops after the detach: steps recorded, the partition detached. */
async function detachJanuary(pool: pg.Pool) {
  for (const step of ['export', 'manifest', 'verify', 'detach'])
    await pool.query(
      `INSERT INTO archive_steps (month, generation, step, finished_at) VALUES ('2024-01-01', 1, $1, now())`,
      [step],
    );
  await pool.query('ALTER TABLE events DETACH PARTITION events_2024_01');
}

/** A database migrated up to `before`, 20 January and 10 February events, January detached, then migrated to `after`. */
async function detachedBetween(label: string, before: string, after: string) {
  const db = await createTestDatabase(label, { migrated: false });
  await migrate(db.pool, { migrations: upTo(before) });
  await ensureMonthPartitions(db.pool, [JANUARY, FEBRUARY]);
  await new PgEventStore(db.pool).insert([...monthEvents(JANUARY, 20, 'jan'), ...monthEvents(FEBRUARY, 10, 'feb')]);
  await detachJanuary(db.pool);
  await migrate(db.pool, { migrations: upTo(after) });
  return db;
}

async function stats(db: TestDatabase) {
  const reader = createPool({ connectionString: db.readerUrl, max: 1 });
  try {
    const store = new PgQueryStore(reader);
    const filter = { since: new Date('2024-01-01T00:00Z'), until: new Date('2024-03-01T00:00Z') };
    const options = { interval: 'month' as const, groupBy: 'severity' as const, maxRows: 1000 };
    const plan = planStats(filter, options, await store.statsCoverage());
    const rows = await store.stats(filter, { ...options, plan });
    const january = rows.filter((r) => r.bucket.startsWith('2024-01')).reduce((sum, r) => sum + r.count, 0);
    return { archived: plan.archived, january, total: rows.reduce((sum, r) => sum + r.count, 0) };
  } finally {
    await reader.end();
  }
}

const databases: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(databases.map((db) => db.drop()));
});

describe('rollups made while a month was detached, not dropped', () => {
  it('say the month is archived rather than count it from the rows left in PostgreSQL', async () => {
    const db = await detachedBetween(
      'rollups_origin_before',
      '012_archived_months',
      '016_event_counts_detached_origin',
    );
    databases.push(db);
    expect(await stats(db)).toEqual({ archived: ['2024-01'], january: 0, total: 10 });
  });

  it('count a month detached after the rollups existed: the trigger counted its rows', async () => {
    const db = await detachedBetween(
      'rollups_origin_after',
      '015_security_lake_exports',
      '016_event_counts_detached_origin',
    );
    databases.push(db);
    expect(await stats(db)).toEqual({ archived: [], january: 20, total: 30 });
  });
});
