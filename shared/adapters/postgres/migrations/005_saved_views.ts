import type { Migration } from './migration.ts';

/** Saved views of the query API: named filter sets per user. The reader role may keep its own, nothing more. */
export const savedViews: Migration = {
  name: '005_saved_views',
  sql: /* sql */ `
CREATE TABLE saved_views (
  user_id    text        NOT NULL,
  name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  filters    jsonb       NOT NULL CHECK (jsonb_typeof(filters) = 'object'),
  created_at timestamptz NOT NULL DEFAULT now(),
  -- One view per name and user; also the index behind "my views".
  PRIMARY KEY (user_id, name)
);
REVOKE ALL ON saved_views FROM PUBLIC;
-- Views are replaced by delete + create: no UPDATE, and audit_reader stays SELECT-only on events.
GRANT SELECT, INSERT, DELETE ON saved_views TO audit_reader;
`,
};
