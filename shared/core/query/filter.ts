import type { EntityRef } from '../domain/entity.ts';
import type { Source } from '../domain/event.ts';
import type { Severity } from '../domain/severity.ts';

/** What the query API reads: every filter optional except the time window, which keeps each query to few partitions. */
export interface EventQueryFilter {
  entity?: EntityRef;
  /** Exact, or a prefix ending in `.*`. */
  type?: string;
  severities?: Severity[];
  minSeverity?: Severity;
  /** `user:alice`, `device:r-17`. */
  actor?: string;
  source?: { channel: Source['channel']; principal?: string };
  /** Text inside the payload. */
  q?: string;
  id?: string;
  since: Date;
  until: Date;
  /** Type prefixes (`user.`) the reader may not see. */
  hiddenTypePrefixes?: readonly string[];
  /** An actor (`user:alice`) whose audit.* records are left out: the reader's own, when they ask (`hideOwnAudit`). */
  hiddenAuditOf?: string;
}

/** The type prefix of the records the trail writes about itself (reads, API requests). */
export const AUDIT_TYPE_PREFIX = 'audit.';

export type SortOrder = 'asc' | 'desc';

export interface PageRequest {
  order: SortOrder;
  limit: number;
  /** Sort key of the last row of the previous page. */
  after?: { occurredAt: string; id: string };
}

/**
 * What events can be counted by (the store maps each to its own expression, never to input): `entity` is the entity's
 * type and id, `entityType` its type alone.
 */
export const DIMENSIONS = ['severity', 'type', 'entity', 'entityType', 'actor'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Bucket widths of counts over time; UTC calendar months vary, their figure is the mean (365.2425 / 12 days). */
export const INTERVAL_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000, month: 2_629_746_000 } as const;
export type Interval = keyof typeof INTERVAL_MS;

/** Whether [since, until) spans more than `days` days (Infinity: never). */
export function windowLongerThan(window: { since: Date; until: Date }, days: number): boolean {
  return window.until.getTime() - window.since.getTime() > days * INTERVAL_MS.day;
}
