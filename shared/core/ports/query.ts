import type { Principal } from '../access/principal.ts';
import type { StoredEvent } from '../domain/event.ts';
import type { Month } from '../domain/month.ts';
import type { Dimension, EventQueryFilter, Interval, PageRequest } from '../query/filter.ts';
import type { FilterParams } from '../query/params.ts';
import type { StatsCoverage, StatsPlan } from '../query/rollups.ts';

export interface EventPageResult {
  events: StoredEvent[];
  hasMore: boolean;
}

export interface StatsRow {
  bucket: string;
  key: string;
  count: number;
}

export interface CountRow {
  key: string;
  count: number;
}

/** The read side the query API needs. */
export interface QueryStore {
  page(filter: EventQueryFilter, page: PageRequest): Promise<EventPageResult>;
  /**
   * Counts per bucket and key: as `plan` lays them out (core/query/rollups.ts planStats), or without one from the raw
   * rows of the filter's window. At most `maxRows + 1` rows: one more tells the caller the result was cut.
   */
  stats(
    filter: EventQueryFilter,
    options: { interval: Interval; groupBy: Dimension; maxRows: number; plan?: StatsPlan },
  ): Promise<StatsRow[]>;
  /** Which months PostgreSQL holds, which archival dropped, and from when the rollups are complete. */
  statsCoverage(): Promise<StatsCoverage>;
  totals(filter: EventQueryFilter, dimension: Dimension, limit: number): Promise<CountRow[]>;
  /** Every month the archive holds or is being given (an archival step recorded), oldest first. */
  archivedMonths(): Promise<Month[]>;
}

export interface SavedView {
  name: string;
  filters: FilterParams;
  createdAt: string;
}

/** Who acts on saved views: a user, and whether they are an admin (who may delete any user's views). */
export interface ViewActor {
  user: string;
  admin: boolean;
}

/**
 * Saved views of one owner. The store enforces ownership itself (PostgreSQL row-level security): an actor who is
 * neither the owner nor an admin sees and deletes nothing, whatever owner the caller passes.
 */
export interface SavedViewStore {
  list(actor: ViewActor, owner: string): Promise<SavedView[]>;
  /** A view owned by the actor; false when they already have one of that name. */
  create(actor: ViewActor, name: string, filters: FilterParams): Promise<SavedView | false>;
  /** false when there was no such view the actor may delete. */
  remove(actor: ViewActor, owner: string, name: string): Promise<boolean>;
}

/**
 * One read of the audit log: who, which route, with which filters; `rows` when the answer is complete before anything
 * is sent, absent when it is sent as it is read (its end is then an {@link AccessOutcome}).
 */
export interface Access {
  principal: Principal;
  route: string;
  filters: Record<string, unknown>;
  rows?: number;
  sourceIp?: string;
  /** The client, when not the principal's token (e.g. `trail-cli`). */
  clientId?: string;
}

/** How a read recorded without rows ended. */
export interface AccessOutcome {
  /** The id `record` returned. */
  accessId: string;
  outcome: 'complete' | 'cut' | 'failed';
  /** Rows sent to the reader: written to the connection, printed, or (when nothing was sent) 0. */
  rows: number;
  reason?: string;
}

/**
 * Records reads of the audit log (as `audit.accessed` and `audit.access.completed` events). Each call resolves once
 * the record is on the queue (or stored) and rejects when it could not be: the read must then not be served.
 */
export interface AccessAuditor {
  /** Resolves to the record's event id, which an outcome refers to. */
  record(access: Access): Promise<string>;
  recordOutcome(access: Access, outcome: AccessOutcome): Promise<void>;
}
