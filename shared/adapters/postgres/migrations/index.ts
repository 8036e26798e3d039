import { events } from './001_events.ts';
import { appendOnly } from './002_append_only.ts';
import { monthPartitions } from './003_month_partitions.ts';
import { lifecycleState } from './004_lifecycle_state.ts';
import { savedViews } from './005_saved_views.ts';
import { loginUsers } from './006_login_users.ts';
import { writerReturning } from './007_writer_returning.ts';
import { eventIds } from './008_event_ids.ts';
import { savedViewOwners } from './009_saved_view_owners.ts';
import { eventLog } from './010_event_log.ts';
import { proofReads } from './011_proof_reads.ts';
import { archivedMonths } from './012_archived_months.ts';
import { eventCounts } from './013_event_counts.ts';
import { sinkCursors } from './014_sink_cursors.ts';
import { securityLakeExports } from './015_security_lake_exports.ts';
import { eventCountsDetachedOrigin } from './016_event_counts_detached_origin.ts';
import type { Migration } from './migration.ts';

export type { Migration } from './migration.ts';

/** Every migration, in the order they apply. Append new ones; never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  events,
  appendOnly,
  monthPartitions,
  lifecycleState,
  savedViews,
  loginUsers,
  writerReturning,
  eventIds,
  savedViewOwners,
  eventLog,
  proofReads,
  archivedMonths,
  eventCounts,
  sinkCursors,
  securityLakeExports,
  eventCountsDetachedOrigin,
];
