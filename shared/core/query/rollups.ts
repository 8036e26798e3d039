import { formatMonth, type Month, monthBounds, monthOf, monthRange } from '../domain/month.ts';
import { type Dimension, type EventQueryFilter, INTERVAL_MS, type Interval } from './filter.ts';

/**
 * Which part of GET /stats the rollups answer (migration 013_event_counts: counts per UTC hour, day and month by type,
 * severity, entity type and actor, kept for months whose raw rows are archived) and which raw rows must: the rollups
 * know no entity id, source, payload nor event id, and no minute. A rollup answer is exact: whole hours, days and
 * months from the rollups plus the deltas not rolled up yet, and the partial hours at the window's edges from raw rows.
 */

export type RollupLevel = 'hour' | 'day' | 'month';

export interface Range {
  since: Date;
  until: Date;
}

/** What the store knows of where counts can come from. */
export interface StatsCoverage {
  /** Months archival has detached or dropped: raw rows do not count them whole (a later partition holds late events). */
  archivedMonths: readonly Month[];
  /** From when the rollups hold every event; null: from the first. Months dropped before the rollups existed are not. */
  completeFrom: Date | null;
}

export interface StatsPlan {
  /** `rollups`: the rollups with raw rows at the edges; `events`: raw rows alone. */
  basis: 'rollups' | 'events';
  /** Why raw rows answer (basis `events`). */
  reason?: string;
  /** The window the counts are of: the asked one, but for a rollup answer whose edge could not be counted exactly. */
  window: Range;
  /** Counted from raw rows. */
  raw: Range[];
  /** Counted from the rollups, at each level; never coarser than the interval. */
  levels: { level: RollupLevel; since: Date; until: Date }[];
  /** Where the deltas not rolled up yet are added (the hours the levels span); null for none. */
  deltas: Range | null;
  /** Months of the asked window whose events this answer does not count (`2025-01`): they are in the archive only. */
  archived: string[];
}

/** Why the rollups cannot answer these parameters; undefined when they can. */
export function rollupRefusal(filter: EventQueryFilter, groupBy: Dimension, interval: Interval): string | undefined {
  if (interval === 'minute') return 'minute buckets are counted from raw rows';
  if (groupBy === 'entity') return 'groupBy=entity counts entity ids, which the rollups do not keep';
  const raw = [
    filter.entity && 'entity',
    filter.source && 'source',
    filter.q !== undefined && 'q',
    filter.id !== undefined && 'id',
  ].filter((name): name is string => typeof name === 'string');
  if (raw.length > 0) return `the ${raw.join(', ')} filter${raw.length > 1 ? 's need' : ' needs'} raw rows`;
  return undefined;
}

/** How GET /stats counts this filter, given what the store holds. */
export function planStats(
  filter: EventQueryFilter,
  options: { interval: Interval; groupBy: Dimension },
  coverage: StatsCoverage,
): StatsPlan {
  const asked = { since: filter.since, until: filter.until };
  const archivedMonths = new Set(coverage.archivedMonths.map(formatMonth));
  const reason = rollupRefusal(filter, options.groupBy, options.interval);
  if (reason !== undefined)
    return {
      basis: 'events',
      reason,
      window: asked,
      raw: [asked],
      levels: [],
      deltas: null,
      archived: archivedMonthsOf(asked, coverage),
    };

  let { since, until } = asked;
  const archived: string[] = [];
  if (coverage.completeFrom && since < coverage.completeFrom) {
    const cut = new Date(Math.min(until.getTime(), coverage.completeFrom.getTime()));
    archived.push(...monthsOf({ since, until: cut }));
    since = cut;
  }
  const rawOnly = (raw: Range[]): StatsPlan => ({
    basis: 'rollups',
    window: { since, until },
    raw,
    levels: [],
    deltas: null,
    archived,
  });
  if (since >= until) return rawOnly([]);

  // An edge's partial hour comes from raw rows, unless archival took its month's out: then the hour is counted whole.
  // (A month without a partition that archival never touched has no events: raw rows count it right, as zero.)
  const rawComplete = (at: Date) => !archivedMonths.has(formatMonth(monthOf(at)));
  let first = ceilTo('hour', since);
  let last = floorTo('hour', until);
  if (first > last) {
    // since and until inside one hour, neither on its start.
    if (rawComplete(since)) return rawOnly([{ since, until }]);
    since = floorTo('hour', since);
    until = ceilTo('hour', until);
    first = since;
    last = until;
  }
  const raw: Range[] = [];
  if (since < first) {
    if (rawComplete(since)) raw.push({ since, until: first });
    else first = since = floorTo('hour', since);
  }
  if (last < until) {
    if (rawComplete(last)) raw.push({ since: last, until });
    else last = until = ceilTo('hour', until);
  }
  // rollupRefusal has sent minutes to raw rows.
  const coarsest = options.interval as RollupLevel;
  return {
    basis: 'rollups',
    window: { since, until },
    raw,
    levels: splitLevels(first, last, coarsest),
    deltas: first < last ? { since: first, until: last } : null,
    archived,
  };
}

const FINER: Record<RollupLevel, RollupLevel | undefined> = { month: 'day', day: 'hour', hour: undefined };

/** [since, until), aligned to hours, as the fewest ranges of whole months, days and hours (none coarser than `level`). */
export function splitLevels(since: Date, until: Date, level: RollupLevel): StatsPlan['levels'] {
  if (since >= until) return [];
  const finer = FINER[level];
  if (!finer) return [{ level, since, until }];
  const first = ceilTo(level, since);
  const last = floorTo(level, until);
  if (first >= last) return splitLevels(since, until, finer);
  return [
    ...splitLevels(since, first, finer),
    { level, since: first, until: last },
    ...splitLevels(last, until, finer),
  ];
}

/** The UTC start of the hour, day or month `at` is in. */
export function floorTo(level: RollupLevel, at: Date): Date {
  if (level === 'month') return monthBounds(monthOf(at)).start;
  const width = INTERVAL_MS[level];
  return new Date(Math.floor(at.getTime() / width) * width);
}

/** The UTC start of the first hour, day or month that begins at or after `at`. */
export function ceilTo(level: RollupLevel, at: Date): Date {
  const floor = floorTo(level, at);
  if (floor.getTime() === at.getTime()) return floor;
  if (level === 'month') return monthBounds(monthOf(at)).end;
  return new Date(floor.getTime() + INTERVAL_MS[level]);
}

/** How many buckets of `interval` [since, until) spans (months counted as calendar months). */
export function bucketCount(window: Range, interval: Interval): number {
  if (interval === 'month') return monthsOf(window).length;
  return Math.ceil((window.until.getTime() - window.since.getTime()) / INTERVAL_MS[interval]);
}

/** The months of a window that archival has detached or dropped (`YYYY-MM`), in order. */
export function archivedMonthsOf(window: Range, coverage: StatsCoverage): string[] {
  const archived = new Set(coverage.archivedMonths.map(formatMonth));
  return monthsOf(window).filter((month) => archived.has(month));
}

/** The months [since, until) touches, `YYYY-MM`. */
function monthsOf(window: Range): string[] {
  if (window.since >= window.until) return [];
  return monthRange(monthOf(window.since), monthOf(new Date(window.until.getTime() - 1))).map(formatMonth);
}
