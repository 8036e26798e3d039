import { listMonthTables } from '../adapters/postgres/maintenance/partition-ddl.ts';
import type { Queryable } from '../adapters/postgres/partitions.ts';
import { bindNamedQuery, NAMED_QUERIES } from '../core/archive/named-queries.ts';
import { monthBounds } from '../core/domain/month.ts';
import { type ArchiveQueryEngine, sqlTimestamp } from '../core/ports/archive-query.ts';

export interface HistoryRow {
  source: 'postgres' | 'archive';
  occurredAt: string;
  id: string;
  type: string;
  severity: string;
  actor: string;
  payload: string;
}

export interface HistoryQuery {
  entityType: string;
  entityId: string;
  since: Date;
  until: Date;
}

/**
 * One entity's events from PostgreSQL and, when the window starts before the oldest month PostgreSQL still holds,
 * from the archive too: one stream, newest first, each row saying where it came from.
 */
export async function entityHistory(
  deps: { db: Queryable; archive: () => Promise<ArchiveQueryEngine> },
  query: HistoryQuery,
): Promise<HistoryRow[]> {
  const { rows } = await deps.db.query(
    `SELECT id::text, type, severity, occurred_at, actor, payload::text FROM events
      WHERE entity_type = $1 AND entity_id = $2 AND occurred_at >= $3 AND occurred_at < $4
      ORDER BY occurred_at DESC, id DESC`,
    [query.entityType, query.entityId, query.since, query.until],
  );
  const fromPg: HistoryRow[] = rows.map((row) => ({
    source: 'postgres',
    occurredAt: row.occurred_at.toISOString(),
    id: row.id,
    type: row.type,
    severity: row.severity,
    actor: row.actor,
    payload: row.payload,
  }));
  const oldest = (await listMonthTables(deps.db)).find((t) => t.attached)?.month;
  if (oldest && query.since >= monthBounds(oldest).start) return fromPg;

  const engine = await deps.archive();
  try {
    const { sql, values } = bindNamedQuery(NAMED_QUERIES['entity-events'], {
      entity_type: query.entityType,
      entity_id: query.entityId,
      since: sqlTimestamp(query.since),
      until: sqlTimestamp(query.until),
    });
    const result = await engine.run(sql, values);
    const at = (name: string) => result.columns.indexOf(name);
    const fromArchive: HistoryRow[] = result.rows.map((row) => ({
      source: 'archive',
      occurredAt: `${row[at('occurred_at')]!.replace(' ', 'T')}Z`,
      id: row[at('id')]!,
      type: row[at('type')]!,
      severity: row[at('severity')]!,
      actor: row[at('actor')]!,
      payload: row[at('payload')]!,
    }));
    return mergeHistory(fromPg, fromArchive);
  } finally {
    await engine.close();
  }
}

/**
 * Merges two newest-first lists into one. An event in both (a month archived but not yet dropped) appears once,
 * from PostgreSQL.
 */
export function mergeHistory(fromPg: readonly HistoryRow[], fromArchive: readonly HistoryRow[]): HistoryRow[] {
  const key = (row: HistoryRow) => `${new Date(row.occurredAt).toISOString()} ${row.id}`;
  const inPg = new Set(fromPg.map(key));
  const merged: HistoryRow[] = [];
  let i = 0;
  let j = 0;
  const archived = fromArchive.filter((row) => !inPg.has(key(row)));
  while (i < fromPg.length || j < archived.length) {
    const a = fromPg[i];
    const b = archived[j];
    if (b === undefined || (a !== undefined && key(a) >= key(b))) {
      merged.push(a!);
      i++;
    } else {
      merged.push(b);
      j++;
    }
  }
  return merged;
}
