import type pg from 'pg';
import { type Month, monthOf } from '../../core/domain/month.ts';
import type { CountRow, EventPageResult, QueryStore, StatsRow } from '../../core/ports/query.ts';
import type { Dimension, EventQueryFilter, Interval, PageRequest } from '../../core/query/filter.ts';
import { buildEventPageQuery, buildStatsQuery, buildTotalsQuery } from './event-query.ts';
import { type EventRow, rowToEvent } from './event-rows.ts';

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
    options: { interval: Interval; groupBy: Dimension; maxRows: number },
  ): Promise<StatsRow[]> {
    const { text, values } = buildStatsQuery(filter, options);
    const { rows } = await this.pool.query<{ bucket: Date; key: string; count: number }>(text, values);
    return rows.map((row) => ({ bucket: row.bucket.toISOString(), key: row.key, count: row.count }));
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
    return rows.map((row) => monthOf(new Date(`${row.month}T00:00:00Z`)));
  }
}
