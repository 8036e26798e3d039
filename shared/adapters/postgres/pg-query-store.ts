import type pg from 'pg';
import { type Month, monthOf } from '../../core/domain/month.ts';
import type { CountRow, EventPageResult, QueryStore, StatsRow } from '../../core/ports/query.ts';
import type { Dimension, EventQueryFilter, Interval, PageRequest } from '../../core/query/filter.ts';
import type { StatsCoverage, StatsPlan } from '../../core/query/rollups.ts';
import { buildEventPageQuery, buildStatsQuery, buildTotalsQuery } from './event-query.ts';
import { type EventRow, rowToEvent } from './event-rows.ts';
import { buildRollupStatsQuery } from './rollup-query.ts';

/** What GET /stats plans with: the months archival took out, and from when the rollups are complete (migration 013). */
const STATS_COVERAGE_SQL = /* sql */ `
SELECT (SELECT CASE WHEN isfinite(complete_from) THEN complete_from END FROM event_counts_origin) AS complete_from,
       ARRAY(SELECT to_char(m, 'YYYY-MM-DD') FROM audit_rollup_archived_months() AS m) AS archived`;

/** The months of `date`s (each a month's first day) read as `YYYY-MM-DD` text: no time zone comes into it. */
const monthsOfDates = (dates: readonly string[]): Month[] =>
  dates.map((date) => monthOf(new Date(`${date}T00:00:00Z`)));

/** The query API's reads, as `audit_reader`. */
export class PgQueryStore implements QueryStore {
  constructor(private readonly pool: pg.Pool) {}

  async page(filter: EventQueryFilter, page: PageRequest): Promise<EventPageResult> {
    const { text, values } = buildEventPageQuery(filter, page);
    const { rows } = await this.pool.query<EventRow>(text, values);
    return { events: rows.slice(0, page.limit).map(rowToEvent), hasMore: rows.length > page.limit };
  }

  async stats(
    filter: EventQueryFilter,
    options: { interval: Interval; groupBy: Dimension; maxRows: number; plan?: StatsPlan },
  ): Promise<StatsRow[]> {
    const query =
      options.plan?.basis === 'rollups'
        ? buildRollupStatsQuery(filter, options.plan, options)
        : buildStatsQuery(options.plan ? { ...filter, ...options.plan.window } : filter, options);
    if (!query) return [];
    const { rows } = await this.pool.query<{ bucket: Date; key: string; count: number | string }>(
      query.text,
      query.values,
    );
    return rows.map((row) => ({ bucket: row.bucket.toISOString(), key: row.key, count: Number(row.count) }));
  }

  async statsCoverage(): Promise<StatsCoverage> {
    const { rows } = await this.pool.query<{ complete_from: Date | null; archived: string[] }>(STATS_COVERAGE_SQL);
    const row = rows[0]!;
    return { completeFrom: row.complete_from, archivedMonths: monthsOfDates(row.archived) };
  }

  async totals(filter: EventQueryFilter, dimension: Dimension, limit: number): Promise<CountRow[]> {
    const { text, values } = buildTotalsQuery(filter, dimension, limit);
    return (await this.pool.query<CountRow>(text, values)).rows;
  }

  async archivedMonths(): Promise<Month[]> {
    // audit_archived_months (migration 012): the reader may not read archive_steps itself.
    const { rows } = await this.pool.query<{ month: string }>(
      `SELECT to_char(m, 'YYYY-MM-DD') AS month FROM audit_archived_months() AS m`,
    );
    return monthsOfDates(rows.map((row) => row.month));
  }
}
