import type { EntityRef } from '../core/domain/entity.ts';
import type { ArchiveJobs } from '../core/ports/archive-jobs.ts';
import type { QueryStore } from '../core/ports/query.ts';
import { type StoredIn, walkAll } from '../core/query/history-walk.ts';
import { EARLIEST_INSTANT } from '../core/query/params.ts';

export interface HistoryRow {
  source: StoredIn;
  occurredAt: string;
  id: string;
  type: string;
  severity: string;
  actor: string;
  payload: string;
}

export interface HistoryQuery {
  entity: EntityRef;
  /** Inclusive; default: the beginning. */
  since?: Date | undefined;
  /** Exclusive. */
  until: Date;
}

/**
 * One entity's events, its own and those naming it in related, newest first: PostgreSQL, then the archive, by the
 * walk the API pages (core/query/history-walk.ts), each row saying where it came from.
 */
export async function entityHistory(
  deps: { store: QueryStore; archiveJobs?: ArchiveJobs },
  query: HistoryQuery,
): Promise<HistoryRow[]> {
  const rows: HistoryRow[] = [];
  const filter = { entity: query.entity, since: query.since ?? EARLIEST_INSTANT, until: query.until };
  for await (const event of walkAll(deps, filter))
    rows.push({
      source: event.storedIn,
      occurredAt: event.occurredAt,
      id: event.id,
      type: event.type,
      severity: event.severity,
      actor: `${event.actor.type}:${event.actor.id}`,
      payload: JSON.stringify(event.payload),
    });
  return rows;
}
