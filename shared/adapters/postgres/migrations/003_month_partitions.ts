import type { Migration } from './migration.ts';

/**
 * Month partitions on demand. The writer may not create tables, so it calls this SECURITY DEFINER function,
 * which runs with its owner's (the migrating role's) rights, when an insert finds no partition for its month.
 */
export const monthPartitions: Migration = {
  name: '003_month_partitions',
  sql: /* sql */ `
CREATE FUNCTION audit_ensure_month_partition(month_start date) RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
-- Pinned: a caller's search_path (or temporary objects) must not redirect what the owner's rights touch.
-- UTC: month bounds are UTC instants whatever the caller's TimeZone.
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
AS $$
DECLARE
  partition   text := 'events_' || to_char(month_start, 'YYYY_MM');
  range_start timestamptz;
  range_end   timestamptz;
BEGIN
  IF month_start IS NULL OR month_start <> date_trunc('month', month_start)::date THEN
    RAISE EXCEPTION 'audit_ensure_month_partition: % is not the first day of a month', month_start
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF month_start < date '2000-01-01' OR month_start >= date '10000-01-01' THEN
    RAISE EXCEPTION 'audit_ensure_month_partition: % is outside the supported months 2000-01 to 9999-12', month_start
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  -- One creator per month; writers racing for the same new month wait here, then find it attached.
  PERFORM pg_advisory_xact_lock(1096107093, (extract(year FROM month_start) * 12 + extract(month FROM month_start))::int);

  IF EXISTS (
    SELECT FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'public.events'::regclass AND c.relname = partition
  ) THEN
    RETURN false;
  END IF;
  IF to_regclass(format('public.%I', partition)) IS NOT NULL THEN
    RAISE EXCEPTION 'audit_ensure_month_partition: table % exists but is not attached to events (detached for archiving?)', partition
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;

  range_start := month_start;
  range_end := month_start + interval '1 month';
  -- Create, then ATTACH: ATTACH takes only SHARE UPDATE EXCLUSIVE on events, so writers and readers carry on,
  -- whereas CREATE TABLE ... PARTITION OF would lock events ACCESS EXCLUSIVE and queue behind every open reader.
  EXECUTE format('CREATE TABLE public.%I (LIKE public.events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', partition);
  -- This CHECK, equal to the partition bound, lets ATTACH skip scanning for rows outside the month. It is kept:
  -- it costs nothing on an append-only table and speeds re-attaching the partition after an archive restore.
  EXECUTE format(
    'ALTER TABLE public.%I ADD CONSTRAINT %I CHECK (occurred_at >= %L AND occurred_at < %L)',
    partition, partition || '_month', range_start, range_end
  );
  -- Statement triggers are not inherited, and a partition can be truncated on its own.
  EXECUTE format(
    'CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON public.%I FOR EACH STATEMENT EXECUTE FUNCTION public.audit_refuse_truncate()',
    partition
  );
  EXECUTE format(
    'ALTER TABLE public.events ATTACH PARTITION public.%I FOR VALUES FROM (%L) TO (%L)', partition, range_start, range_end
  );
  RETURN true;
END $$;

REVOKE ALL ON FUNCTION audit_ensure_month_partition(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_ensure_month_partition(date) TO audit_writer;
`,
};
