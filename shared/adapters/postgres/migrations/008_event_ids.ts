import type { Migration } from './migration.ts';

/**
 * The idempotency key is the event id alone, across all months, forever. The events table cannot enforce that: a
 * unique key of a partitioned table must contain the partition key, so its key is (occurred_at, id), and a month's
 * rows leave when it is archived. `event_ids` is a plain table holding every stored id with when its event occurred
 * and a digest of its content, kept when months are archived and dropped. The writer claims an id here in the same
 * statement that inserts the event: an id already held with the same digest is a resend (a no-op), with another
 * digest a conflict (the event is dead-lettered). Existing events are backfilled, the first received per id.
 */
export const eventIds: Migration = {
  name: '008_event_ids',
  sql: /* sql */ `
-- What makes two events under one id the same event: everything the sender defined and who sent it, as PostgreSQL
-- holds it (jsonb, whose text form is the same for equal values), so the backfill below and the writer's claims agree.
-- Not receivedAt, source_client_id nor source_ip: a faithful retry may change them. Its twin for ingest's FIFO
-- deduplication ids is eventDigest in shared/core/domain/event-digest.ts, over the same fields.
-- The fields' text as a row: record_out quotes and escapes a value that needs it and leaves NULL empty, so two
-- different field lists never print alike; it costs the writer about 60 % of a jsonb_build_array(...)::text
-- (bench/experiments/writer-idempotency.ts).
CREATE FUNCTION audit_event_digest(
  entity_type text, entity_id text, event_type text, severity text, occurred_at timestamptz, related jsonb,
  actor text, source_channel text, source_principal text, payload jsonb, trace_id text, span_id text,
  causation_id uuid
) RETURNS bytea
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
  SELECT sha256(convert_to(row(
    entity_type, entity_id, event_type, severity,
    -- Epoch milliseconds, not text: a timestamptz prints in the session's TimeZone.
    (extract(epoch FROM occurred_at) * 1000)::bigint,
    related, actor, source_channel, source_principal, payload, trace_id, span_id, causation_id
  )::text, 'UTF8'))
$$;

CREATE TABLE event_ids (
  id          uuid           PRIMARY KEY,
  occurred_at timestamptz(3) NOT NULL,
  digest      bytea          NOT NULL CHECK (octet_length(digest) = 32)
);
REVOKE ALL ON event_ids FROM PUBLIC;
-- INSERT … ON CONFLICT DO NOTHING to claim, SELECT to compare a held id's digest and to read RETURNING.
GRANT SELECT, INSERT ON event_ids TO audit_writer;

CREATE FUNCTION audit_refuse_id_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    RAISE EXCEPTION 'event ids are kept forever: TRUNCATE of % is not allowed', TG_TABLE_NAME
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'An id stays used after its month is archived, so that it can never name another event.';
  END IF;
  RAISE EXCEPTION 'event ids are kept forever: % of id % is not allowed', TG_OP, OLD.id
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'An id stays used after its month is archived, so that it can never name another event.';
END $$;

CREATE TRIGGER event_ids_append_only BEFORE UPDATE OR DELETE ON event_ids
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_id_change();
CREATE TRIGGER event_ids_no_truncate BEFORE TRUNCATE ON event_ids
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_id_change();

-- Writers wait (SHARE blocks INSERT, not SELECT) until this commits, so no event is stored without its id.
LOCK TABLE events IN SHARE MODE;
-- An id stored twice before this migration (the bug it fixes) keeps its first received event; both rows stay.
INSERT INTO event_ids (id, occurred_at, digest)
SELECT DISTINCT ON (id) id, occurred_at,
       audit_event_digest(entity_type, entity_id, type, severity, occurred_at, related, actor, source_channel,
                          source_principal, payload, trace_id, span_id, causation_id)
  FROM events
 ORDER BY id, received_at, occurred_at;
`,
};
