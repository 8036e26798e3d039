import type { Migration } from './migration.ts';

/**
 * 013_event_counts counted the rows it found in `events`, and took the rollups to be complete after the newest month
 * whose drop had finished. A month whose archival had detached its partition but not yet dropped it (a run paused or
 * failed between the two steps) was in neither: its rows were no longer in `events`, so the rollups never held them,
 * and /stats answered that month (nearly) empty instead of saying it is archived. The rollups are complete only after
 * the newest month with a detach step started before 013 ran. Later detaches lose no count (the trigger counted their
 * rows when they were written). Conservative for a detach started before 013 that only detached after it: that month
 * is reported as archived, though the rollups hold it.
 */
export const eventCountsDetachedOrigin: Migration = {
  name: '016_event_counts_detached_origin',
  sql: /* sql */ `
UPDATE event_counts_origin o
   SET complete_from = greatest(o.complete_from, d.complete_from)
  FROM (SELECT (max(s.month) + interval '1 month') AT TIME ZONE 'UTC' AS complete_from
          FROM archive_steps s
          JOIN schema_migrations m ON m.name = '013_event_counts'
         WHERE s.step = 'detach' AND s.started_at <= m.applied_at) d
 WHERE d.complete_from IS NOT NULL;
`,
};
