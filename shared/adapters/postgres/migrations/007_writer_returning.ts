import type { Migration } from './migration.ts';

/**
 * The writer learns which events of a batch were new from `INSERT … ON CONFLICT DO NOTHING RETURNING id,
 * occurred_at` (the primary key), so its metrics count a redelivered event once. RETURNING needs SELECT on the
 * columns it returns (PostgreSQL's INSERT reference: "Use of the RETURNING clause requires SELECT privilege on all
 * columns mentioned in RETURNING"), so the writer gets those two columns and nothing else: it still cannot read an
 * event's type, severity, entity, actor or payload, nor filter on them (every column a query mentions, in WHERE too,
 * needs the privilege). Column privileges on the partitioned table cover every partition reached through it.
 */
export const writerReturning: Migration = {
  name: '007_writer_returning',
  sql: /* sql */ `
GRANT SELECT (id, occurred_at) ON events TO audit_writer;
`,
};
