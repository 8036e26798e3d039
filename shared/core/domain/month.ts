/** A UTC calendar month: the unit of partitioning, retention and archiving. */
export interface Month {
  year: number;
  /** 1-12 */
  month: number;
}

export function monthOf(instant: Date): Month {
  return { year: instant.getUTCFullYear(), month: instant.getUTCMonth() + 1 };
}

export function addMonths(m: Month, count: number): Month {
  const index = m.year * 12 + (m.month - 1) + count;
  return { year: Math.floor(index / 12), month: (index % 12) + 1 };
}

export function compareMonths(a: Month, b: Month): number {
  return a.year * 12 + a.month - (b.year * 12 + b.month);
}

/** Every month from `from` to `to`, both included (empty when `to` is before `from`). */
export function monthRange(from: Month, to: Month): Month[] {
  const months: Month[] = [];
  for (let m = from; compareMonths(m, to) <= 0; m = addMonths(m, 1)) months.push(m);
  return months;
}

/** The half-open UTC range [start, end) of a month. */
export function monthBounds(m: Month): { start: Date; end: Date } {
  const next = addMonths(m, 1);
  return { start: new Date(Date.UTC(m.year, m.month - 1, 1)), end: new Date(Date.UTC(next.year, next.month - 1, 1)) };
}

/** Whether a month and the half-open window [since, until) share an instant. */
export function monthOverlaps(m: Month, window: { since: Date; until: Date }): boolean {
  const { start, end } = monthBounds(m);
  return start < window.until && end > window.since;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** `events_2026_05`: the PostgreSQL partition holding May 2026 (UTC). */
export function partitionName(m: Month): string {
  return `events_${m.year}_${pad2(m.month)}`;
}

const PARTITION_NAME = /^events_(\d{4})_(\d{2})$/;

export function parsePartitionName(name: string): Month | undefined {
  const match = PARTITION_NAME.exec(name);
  if (!match) return undefined;
  const month = Number(match[2]);
  return month >= 1 && month <= 12 ? { year: Number(match[1]), month } : undefined;
}

/** `2026-05`: how months appear in logs, CLI flags and archive keys. */
export function formatMonth(m: Month): string {
  return `${m.year}-${pad2(m.month)}`;
}
