import type { Migration } from './migration.ts';

/**
 * Each function logs in as its own user instead of connecting as the owner and narrowing itself with SET ROLE: a
 * session that logged in as audit_writer has nothing to RESET ROLE back to. The owner never becomes a member of
 * either role (on PostgreSQL 16+ it holds only the ADMIN option it got by creating them, enough to set passwords).
 * Passwords are not part of the schema: the migrate step sets them (shared/adapters/postgres/login-users.ts).
 */
export const loginUsers: Migration = {
  name: '006_login_users',
  sql: /* sql */ `
-- Role attributes are global to the server: set them only when missing, so migrations of several databases at once
-- do not update the same pg_authid rows.
DO $$
BEGIN
  IF NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = 'audit_writer') THEN
    ALTER ROLE audit_writer LOGIN;
  END IF;
  IF NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = 'audit_reader') THEN
    ALTER ROLE audit_reader LOGIN;
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE EXCEPTION 'cannot make audit_writer and audit_reader login users: %', SQLERRM
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'The migrating role must have created them (PostgreSQL 16+ gives their creator ADMIN on them), '
              || 'or hold ADMIN OPTION on them.';
END $$;

-- Only the application's users (and the owner) may connect to this database or create temporary tables in it.
DO $$
BEGIN
  EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO audit_writer, audit_reader', current_database());
END $$;

-- The writer may create the partition of a month that events can have: none later than the current month (ingest
-- refuses events more than 15 minutes ahead of its clock; the hour allows for the database's clock differing).
-- Months further ahead are created by maintenance, as the owner, through audit_ensure_month_partition.
CREATE FUNCTION audit_ensure_ingest_partition(month_start date) RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
AS $$
DECLARE
  latest date := date_trunc('month', now() + interval '1 hour')::date;
BEGIN
  IF month_start > latest THEN
    RAISE EXCEPTION 'audit_ensure_ingest_partition: % is after the current month %: events cannot be dated that far ahead', month_start, latest
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Partitions of future months are created by maintenance.';
  END IF;
  -- The earliest month (2000-01) and the first-day-of-month rule are checked there.
  RETURN public.audit_ensure_month_partition(month_start);
END $$;

REVOKE ALL ON FUNCTION audit_ensure_ingest_partition(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_ensure_ingest_partition(date) TO audit_writer;
REVOKE EXECUTE ON FUNCTION audit_ensure_month_partition(date) FROM audit_writer;
`,
};
