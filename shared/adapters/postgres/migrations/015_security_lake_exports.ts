import type { Migration } from './migration.ts';

/**
 * The OCSF objects derived for Amazon Security Lake from each archived month (docs/ocsf.md): one row per month and
 * generation, requested when maintenance starts archiving that generation with a lake configured, finished once its
 * objects are written. A derivation that failed keeps its error and is tried again by the next run; it never holds
 * back the archival or the drop of the month, which come first.
 */
export const securityLakeExports: Migration = {
  name: '015_security_lake_exports',
  sql: /* sql */ `
CREATE TABLE security_lake_exports (
  month         date        NOT NULL CHECK (month = date_trunc('month', month)::date),
  generation    integer     NOT NULL CHECK (generation >= 1),
  requested_at  timestamptz NOT NULL DEFAULT now(),
  attempts      integer     NOT NULL DEFAULT 0,
  attempted_at  timestamptz,
  finished_at   timestamptz,
  -- Where the objects went (s3://bucket/ or file:///…), and what was written.
  destination   text,
  objects       integer,
  row_count     bigint,
  error         text,
  PRIMARY KEY (month, generation)
);
REVOKE ALL ON security_lake_exports FROM PUBLIC;
`,
};
