import type pg from 'pg';
import { compareMonths, formatMonth, type Month } from '../../core/domain/month.ts';

/** A pool or a checked-out client. */
export type Queryable = Pick<pg.Pool, 'query'>;

/**
 * Makes sure each month has its partition (`events_YYYY_MM`), through the same SECURITY DEFINER function the writer
 * uses underneath, so maintenance and writers never race to create one. Resolves to the months that were created.
 * Each month is its own statement (and transaction), in ascending order, so concurrent callers cannot deadlock.
 * As the owner (maintenance): any supported month, future ones included.
 */
export function ensureMonthPartitions(db: Queryable, months: readonly Month[]): Promise<Month[]> {
  return ensureEach(db, 'audit_ensure_month_partition', months);
}

/** The writer's way (migration 006): months up to the current one only. */
export function ensureIngestPartitions(db: Queryable, months: readonly Month[]): Promise<Month[]> {
  return ensureEach(db, 'audit_ensure_ingest_partition', months);
}

async function ensureEach(
  db: Queryable,
  fn: 'audit_ensure_month_partition' | 'audit_ensure_ingest_partition',
  months: readonly Month[],
): Promise<Month[]> {
  const created: Month[] = [];
  for (const month of distinctMonths(months)) {
    const { rows } = await db.query<{ created: boolean }>(`SELECT ${fn}($1::date) AS created`, [
      `${formatMonth(month)}-01`,
    ]);
    if (rows[0]?.created) created.push(month);
  }
  return created;
}

function distinctMonths(months: readonly Month[]): Month[] {
  const byKey = new Map(months.map((month) => [formatMonth(month), month]));
  return [...byKey.values()].sort(compareMonths);
}
