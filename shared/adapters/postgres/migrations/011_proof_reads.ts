import type { Migration } from './migration.ts';

/**
 * What the query API needs to answer `GET /events/{id}/proof` for an event that is stored but not sealed yet (409,
 * retry after the next checkpoint) rather than unknown (404). The reader may not read event_ids (which also holds the
 * ids of archived months, and digests); events alone cannot find an id without its occurred_at but by scanning every
 * month's primary key. This function answers the one question, by the primary keys: when did the stored event of
 * this id occur, if the log has not sealed it. NULL for an unknown id, a sealed one, or one whose month has left.
 */
export const proofReads: Migration = {
  name: '011_proof_reads',
  sql: /* sql */ `
CREATE FUNCTION audit_unsealed_event_occurred_at(event_id uuid) RETURNS timestamptz
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT i.occurred_at FROM public.event_ids i
   WHERE i.id = event_id
     AND EXISTS (SELECT 1 FROM public.events e WHERE e.occurred_at = i.occurred_at AND e.id = i.id)
     AND NOT EXISTS (SELECT 1 FROM public.event_log l WHERE l.event_id = i.id)
$$;

REVOKE ALL ON FUNCTION audit_unsealed_event_occurred_at(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_unsealed_event_occurred_at(uuid) TO audit_reader;
`,
};
