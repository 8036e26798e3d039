import type { Migration } from './migration.ts';

/**
 * Rollups: event counts per UTC hour, day and month by type, severity and entity type (event_counts), and the same
 * with the actor (event_counts_by_actor), so GET /stats answers windows of years from a few rows a bucket, also for
 * months whose raw rows are archived and dropped (nothing here is touched by archival).
 *
 * Kept exact without a counter row that writers share: a statement trigger on events appends, in the inserting
 * statement's own transaction, one delta row per (hour, type, severity, entity type, actor) of what the statement
 * stored (event_count_deltas: append-only for writers, no unique key, so concurrent writers never wait on each
 * other). audit_roll_up_event_counts, run by the sealer after each round and by maintenance, moves committed deltas
 * into the rollups in one transaction: a reader's snapshot sees each event either as a delta or in the rollups,
 * never both nor neither. A late event (its hour long rolled up) is a delta like any other, added to that hour, day
 * and month at the next roll-up. Only the owner's functions change the rollup tables; the reader may read them.
 */
export const eventCounts: Migration = {
  name: '013_event_counts',
  sql: /* sql */ `
CREATE TABLE event_count_deltas (
  hour        timestamptz NOT NULL,
  type        text        COLLATE "C" NOT NULL,
  severity    text        NOT NULL,
  entity_type text        NOT NULL,
  actor       text        NOT NULL,
  count       bigint      NOT NULL CHECK (count > 0)
);
-- Deltas live between two roll-ups (a sealing round, about a minute): the stats query reads those of its window.
CREATE INDEX event_count_deltas_hour_idx ON event_count_deltas (hour);

-- bucket is the UTC start of the hour, day or month (level).
CREATE TABLE event_counts (
  level       text        NOT NULL CHECK (level IN ('hour', 'day', 'month')),
  bucket      timestamptz NOT NULL,
  type        text        COLLATE "C" NOT NULL,
  severity    text        NOT NULL,
  entity_type text        NOT NULL,
  count       bigint      NOT NULL CHECK (count > 0),
  PRIMARY KEY (level, bucket, type, severity, entity_type)
);
-- An actor's counts by its key; every actor's (groupBy=actor) through the second index.
CREATE TABLE event_counts_by_actor (
  level       text        NOT NULL CHECK (level IN ('hour', 'day', 'month')),
  bucket      timestamptz NOT NULL,
  actor       text        NOT NULL,
  type        text        COLLATE "C" NOT NULL,
  severity    text        NOT NULL,
  entity_type text        NOT NULL,
  count       bigint      NOT NULL CHECK (count > 0),
  PRIMARY KEY (actor, level, bucket, type, severity, entity_type)
);
CREATE INDEX event_counts_by_actor_bucket_idx ON event_counts_by_actor (level, bucket);

-- From when the rollups hold every event: months archived and dropped before this migration are not counted
-- (their rows are in the archive only), so their counts start after the newest of them. One row.
CREATE TABLE event_counts_origin (
  one           boolean     PRIMARY KEY DEFAULT true CHECK (one),
  complete_from timestamptz NOT NULL
);

REVOKE ALL ON event_count_deltas, event_counts, event_counts_by_actor, event_counts_origin FROM PUBLIC;
GRANT SELECT ON event_count_deltas, event_counts, event_counts_by_actor, event_counts_origin TO audit_reader;

-- The months whose partition archival has detached (or is detaching; any generation), for the reader, who may not
-- read archive_steps: raw rows do not count such a month whole, even when a later partition holds its late events.
CREATE FUNCTION audit_rollup_archived_months() RETURNS SETOF date
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT DISTINCT month FROM public.archive_steps WHERE step IN ('detach', 'drop') ORDER BY 1
$$;
REVOKE ALL ON FUNCTION audit_rollup_archived_months() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_rollup_archived_months() TO audit_reader;

-- The writer has no right on the deltas: the trigger runs with its owner's, and writes only what was stored.
CREATE FUNCTION audit_count_stored_events() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  INSERT INTO public.event_count_deltas (hour, type, severity, entity_type, actor, count)
  SELECT date_trunc('hour', occurred_at, 'UTC'), type, severity, entity_type, actor, count(*)
    FROM stored
   GROUP BY 1, 2, 3, 4, 5;
  RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION audit_count_stored_events() FROM PUBLIC;

-- On the partitioned table: fires for every INSERT and COPY through events (the writer's path), with the rows of all
-- partitions in one transition table. Archival detaches and drops partitions, which fires nothing: counts stay.
CREATE TRIGGER events_count_stored AFTER INSERT ON events
  REFERENCING NEW TABLE AS stored
  FOR EACH STATEMENT EXECUTE FUNCTION audit_count_stored_events();

-- Moves every committed delta into the rollups, returns how many delta rows it moved. One roll-up at a time
-- (ADVISORY_LOCKS.rollUp in shared/core/contracts/advisory-locks.ts): a second waits, then finds the deltas gone.
-- A delta of a transaction still open is not visible, so it is not deleted: the next roll-up moves it.
CREATE FUNCTION audit_roll_up_event_counts() RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  moved_rows bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(1096107096, 0);
  WITH moved AS (DELETE FROM public.event_count_deltas RETURNING *),
  levelled AS (
    SELECT l.level, date_trunc(l.level, m.hour, 'UTC') AS bucket, m.type, m.severity, m.entity_type, m.actor, m.count
      FROM moved m CROSS JOIN (VALUES ('hour'), ('day'), ('month')) AS l(level)
  ),
  plain AS (
    INSERT INTO public.event_counts AS c (level, bucket, type, severity, entity_type, count)
    SELECT level, bucket, type, severity, entity_type, sum(count) FROM levelled GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (level, bucket, type, severity, entity_type) DO UPDATE SET count = c.count + excluded.count
  ),
  by_actor AS (
    INSERT INTO public.event_counts_by_actor AS c (level, bucket, actor, type, severity, entity_type, count)
    SELECT level, bucket, actor, type, severity, entity_type, sum(count) FROM levelled GROUP BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (actor, level, bucket, type, severity, entity_type) DO UPDATE SET count = c.count + excluded.count
  )
  SELECT count(*) INTO moved_rows FROM moved;
  RETURN moved_rows;
END $$;
REVOKE ALL ON FUNCTION audit_roll_up_event_counts() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_roll_up_event_counts() TO audit_sealer;

-- Writers wait (SHARE blocks INSERT) until this commits: every stored event is counted once, here or by the trigger.
LOCK TABLE events IN SHARE MODE;
INSERT INTO event_count_deltas (hour, type, severity, entity_type, actor, count)
SELECT date_trunc('hour', occurred_at, 'UTC'), type, severity, entity_type, actor, count(*)
  FROM events GROUP BY 1, 2, 3, 4, 5;
SELECT audit_roll_up_event_counts();
INSERT INTO event_counts_origin (complete_from)
SELECT coalesce(
  (SELECT (max(month) + interval '1 month') AT TIME ZONE 'UTC' FROM archive_steps
    WHERE step = 'drop' AND finished_at IS NOT NULL),
  '-infinity'::timestamptz
);
`,
};
