import type pg from 'pg';
import { compareMonths, formatMonth, type Month } from '../domain/month.ts';

/** A pool or a checked-out client. */
export type Queryable = Pick<pg.Pool, 'query'>;

/**
 * Makes sure each month has its partition (`events_YYYY_MM`), through the same SECURITY DEFINER function the writer
 * uses, so maintenance and writers never race to create one. Resolves to the months that were created.
 * Each month is its own statement (and transaction), in ascending order, so concurrent callers cannot deadlock.
 */
export async function ensureMonthPartitions(db: Queryable, months: readonly Month[]): Promise<Month[]> {
  const created: Month[] = [];
  for (const month of distinctMonths(months)) {
    const { rows } = await db.query<{ created: boolean }>('SELECT audit_ensure_month_partition($1::date) AS created', [
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
