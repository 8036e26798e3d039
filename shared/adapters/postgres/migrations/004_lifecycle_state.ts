import type { Migration } from './migration.ts';

/**
 * The archival of expired months, step by step: every step of every month is a row, so a run that dies anywhere
 * resumes where it stopped, and a re-run of a finished month is a no-op. A month archived again (events that arrived
 * after its partition was dropped) gets the next generation: new files beside the verified ones, never over them.
 */
export const lifecycleState: Migration = {
  name: '004_lifecycle_state',
  sql: /* sql */ `
CREATE TABLE archive_steps (
  month       date        NOT NULL CHECK (month = date_trunc('month', month)::date),
  generation  integer     NOT NULL CHECK (generation >= 1),
  step        text        NOT NULL CHECK (step IN ('export', 'manifest', 'verify', 'detach', 'drop')),
  -- export: the files written so far, each {key, rows, bytes, sha256}; manifest: the manifest object.
  files       jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(files) = 'array'),
  row_count   bigint,
  -- export: where the next file starts ({occurredAt, id} of the last exported row), so an export can span invocations.
  progress    jsonb,
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  error       text,
  PRIMARY KEY (month, generation, step)
);
REVOKE ALL ON archive_steps FROM PUBLIC;

-- Set on a month's partition while it is archived, so the files and the partition cannot drift apart. The error is
-- retryable for the writer (SQLSTATE class 55): the event is redelivered, and once the month is dropped it lands in a
-- new partition that the next maintenance archives as the month's next generation.
CREATE FUNCTION audit_refuse_while_archiving() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events of % are being archived: retry after maintenance has finished the month', TG_TABLE_NAME
    USING ERRCODE = 'object_not_in_prerequisite_state',
          HINT = 'Late events for an archived month are stored in a new partition and archived as the next generation.';
END $$;
`,
};
