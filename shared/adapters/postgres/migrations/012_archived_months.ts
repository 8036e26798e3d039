import type { Migration } from './migration.ts';

/**
 * Which months the archive holds (or is being given): what the query API needs to continue a history into the archive
 * and to point a query whose window reaches such a month there. The reader may not read archive_steps (its files and
 * errors are maintenance's); this function answers the one question: every month with an archival step recorded,
 * whatever its progress. A month counts from its first step on, so a reader never misses rows whose partition is
 * being detached or dropped: below such a month PostgreSQL and the archive are read together (core/query/history-walk.ts).
 */
export const archivedMonths: Migration = {
  name: '012_archived_months',
  sql: /* sql */ `
CREATE FUNCTION audit_archived_months() RETURNS SETOF date
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT DISTINCT month FROM public.archive_steps ORDER BY month
$$;

REVOKE ALL ON FUNCTION audit_archived_months() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_archived_months() TO audit_reader;
`,
};
