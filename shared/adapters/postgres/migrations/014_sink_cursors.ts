import type { Migration } from './migration.ts';

/**
 * Streams (docs/sinks.md): where each sink stands in the sealed log (sink_cursors: the next event_log.seq to
 * deliver, with the failures in a row and the backoff), and the events a sink refused for good (sink_dead_letters).
 * The forwarder logs in as its own user, audit_forwarder: it reads the log and the events and moves its cursors; it
 * can write no event and change no log. The reader may read both tables (the operations view, `trail status`).
 */
export const sinkCursors: Migration = {
  name: '014_sink_cursors',
  sql: /* sql */ `
CREATE TABLE sink_cursors (
  sink        text           PRIMARY KEY CHECK (sink ~ '^[a-z][a-z0-9-]{0,31}$'),
  next_seq    bigint         NOT NULL DEFAULT 0 CHECK (next_seq >= 0),
  failures    integer        NOT NULL DEFAULT 0 CHECK (failures >= 0),
  retry_at    timestamptz(3),
  last_error  text,
  last_error_at timestamptz(3),
  delivered_at  timestamptz(3),
  updated_at  timestamptz(3) NOT NULL DEFAULT now()
);

-- Kept, like the log: a dead letter is the record that a sink never got an event. Replayed by moving the cursor back.
CREATE TABLE sink_dead_letters (
  sink       text           NOT NULL,
  seq        bigint         NOT NULL CHECK (seq >= 0),
  event_id   uuid           NOT NULL,
  reason     text           NOT NULL,
  dead_at    timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (sink, seq, dead_at)
);

DO $$
BEGIN
  CREATE ROLE audit_forwarder LOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$
BEGIN
  IF NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = 'audit_forwarder') THEN
    ALTER ROLE audit_forwarder LOGIN;
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE EXCEPTION 'cannot make audit_forwarder a login user: %', SQLERRM
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'The migrating role must have created it (PostgreSQL 16+ gives its creator ADMIN on it), '
              || 'or hold ADMIN OPTION on it.';
END $$;
DO $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO audit_forwarder', current_database());
END $$;

REVOKE ALL ON sink_cursors, sink_dead_letters FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO audit_forwarder;
-- It reads what it sends, in log order, and keeps its own place; deleting a dead letter is not its to do.
GRANT SELECT ON events, event_log TO audit_forwarder;
GRANT SELECT, INSERT, UPDATE ON sink_cursors TO audit_forwarder;
GRANT SELECT, INSERT ON sink_dead_letters TO audit_forwarder;
GRANT SELECT ON sink_cursors, sink_dead_letters TO audit_reader;
`,
};
