import type { Migration } from './migration.ts';

/** Roles with the least privilege each side needs, and triggers that keep even the owner from rewriting history. */
export const appendOnly: Migration = {
  name: '002_append_only',
  sql: /* sql */ `
-- Roles are global to the server while this runs per database, possibly in several at once:
-- an existing role is fine, and so is losing the race to create it (unique_violation on pg_authid).
DO $$
BEGIN
  CREATE ROLE audit_writer NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$
BEGIN
  CREATE ROLE audit_reader NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

REVOKE ALL ON events FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO audit_writer, audit_reader;
-- INSERT ... ON CONFLICT DO NOTHING (without RETURNING) needs INSERT only; the writer never reads.
GRANT INSERT ON events TO audit_writer;
GRANT SELECT ON events TO audit_reader;

CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events are append-only: % of event % is not allowed', TG_OP, OLD.id
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'Old events leave only by detaching and archiving a whole month partition.';
END $$;

CREATE FUNCTION audit_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events are append-only: TRUNCATE of % is not allowed', TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'Old events leave only by detaching and archiving a whole month partition.';
END $$;

-- Row triggers on a partitioned table are cloned onto every partition, including those attached later.
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();

-- Statement triggers are not cloned: this one guards TRUNCATE events, and audit_ensure_month_partition
-- adds the same trigger to each partition, which can be truncated directly.
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
`,
};
