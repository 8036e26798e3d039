import type { Migration } from './migration.ts';

/**
 * Saved views belong to their owner, enforced by PostgreSQL rather than by the handler's WHERE clause: row-level
 * security on `saved_views`, with the acting user and whether they are an admin set per transaction by the adapter
 * (`app.user`, `app.admin`: shared/adapters/postgres/saved-views.ts). A statement that forgets its owner condition,
 * or names another owner, still reaches only the actor's rows; one run without the settings reaches none.
 * The table owner (migrations) is not subject to the policies; audit_reader is.
 */
export const savedViewOwners: Migration = {
  name: '009_saved_view_owners',
  sql: /* sql */ `
ALTER TABLE saved_views ENABLE ROW LEVEL SECURITY;

-- NULLIF: after a transaction that set it, a session's app.user reads '' rather than NULL; '' is nobody.
CREATE POLICY saved_views_read ON saved_views FOR SELECT TO audit_reader
  USING (user_id = NULLIF(current_setting('app.user', true), '') OR current_setting('app.admin', true) = 'on');
-- A view is created for oneself only, admins included.
CREATE POLICY saved_views_create ON saved_views FOR INSERT TO audit_reader
  WITH CHECK (user_id = NULLIF(current_setting('app.user', true), ''));
CREATE POLICY saved_views_delete ON saved_views FOR DELETE TO audit_reader
  USING (user_id = NULLIF(current_setting('app.user', true), '') OR current_setting('app.admin', true) = 'on');
-- No UPDATE policy (and no UPDATE grant, migration 005): a view is changed by delete + create, and with row-level
-- security on, an UPDATE granted later would still match no row until a policy says whose.
`,
};
