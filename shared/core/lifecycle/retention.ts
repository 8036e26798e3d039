import { addMonths, compareMonths, type Month, monthOf, monthRange } from '../domain/month.ts';

/** The first month PostgreSQL keeps: the current month and the `retentionMonths` before it stay; older ones expire. */
export function retentionCutoff(now: Date, retentionMonths: number): Month | undefined {
  return retentionMonths === 0 ? undefined : addMonths(monthOf(now), -retentionMonths);
}

export function isExpired(month: Month, now: Date, retentionMonths: number): boolean {
  const cutoff = retentionCutoff(now, retentionMonths);
  return cutoff !== undefined && compareMonths(month, cutoff) < 0;
}

/**
 * The months that must have a partition: the current one and the next `premakeMonths`, plus every month after the
 * newest existing partition up to them (a database maintained last 8 months ago gets all 8, no gaps), never an
 * expired month.
 */
export function monthsToEnsure(existing: readonly Month[], now: Date, premakeMonths: number, retentionMonths: number) {
  const current = monthOf(now);
  const last = addMonths(current, premakeMonths);
  const newest = [...existing].sort(compareMonths).at(-1);
  const from = newest && compareMonths(newest, current) < 0 ? addMonths(newest, 1) : current;
  return monthRange(from, last).filter((month) => !isExpired(month, now, retentionMonths));
}
