import type { Migration } from './migration.ts';

/**
 * The tamper-evident log (docs/tamper-evidence.md): every stored event gets a dense sequence number and a leaf in a
 * Merkle tree (event_log), the tree's stored nodes (log_nodes) and a signed checkpoint per sealing round
 * (checkpoints). The sealer (shared/core/tamper/seal.ts) finds committed events without serializing the writers:
 * each event_ids row records the id of the transaction that wrote it, and every transaction with an id below the
 * oldest one still running, `pg_snapshot_xmin(pg_current_snapshot())`, has ended. The sealer logs in as its own user,
 * audit_sealer, who may read events and append to the log, nothing else.
 */
export const eventLog: Migration = {
  name: '010_event_log',
  sql: /* sql */ `
-- A constant default is stored in the catalog (no table rewrite, no trigger fires): rows written before this
-- migration read 0, sealed first, in id order. Then the default becomes the writing transaction's id, for rows to come;
-- both under this statement's ACCESS EXCLUSIVE lock, so no writer inserts in between.
ALTER TABLE event_ids ADD COLUMN write_xid bigint NOT NULL DEFAULT 0;
ALTER TABLE event_ids ALTER COLUMN write_xid SET DEFAULT pg_current_xact_id()::text::bigint;
-- Rows are appended in about the order of their transactions: a block range's min/max brackets the sealer's keyset
-- scan at a tiny fraction of a btree's size and insert cost. Summarized as ranges fill, not only at VACUUM.
CREATE INDEX event_ids_write_xid_brin ON event_ids USING brin (write_xid) WITH (autosummarize = on);
-- The writer names only id, occurred_at and digest: a transaction id it chose itself could hide its row below the
-- sealer's position, so it may insert those columns alone and write_xid always takes the default.
REVOKE INSERT ON event_ids FROM audit_writer;
GRANT INSERT (id, occurred_at, digest) ON event_ids TO audit_writer;

-- One row per sealed event, seq dense from 0: the leaf at index seq of the tree. Kept forever, like event_ids, also
-- after the event's month is archived (the archive's rows carry seq and leaf hash too).
CREATE TABLE event_log (
  seq         bigint         PRIMARY KEY CHECK (seq >= 0),
  event_id    uuid           NOT NULL UNIQUE,
  occurred_at timestamptz(3) NOT NULL,
  leaf_hash   bytea          NOT NULL CHECK (octet_length(leaf_hash) = 32)
);

-- The roots of the perfect subtrees at levels 8, 16, 24, … (256 leaves wide at each step): with the leaves, enough
-- to compute any subtree's hash, and so any proof, from O(log n) rows.
CREATE TABLE log_nodes (
  level smallint NOT NULL CHECK (level > 0 AND level % 8 = 0),
  index bigint   NOT NULL CHECK (index >= 0),
  hash  bytea    NOT NULL CHECK (octet_length(hash) = 32),
  PRIMARY KEY (level, index)
);

-- One signed checkpoint per round, also when no event arrived: the fixed cadence makes a missing one evidence.
-- body is the canonical JSON that was signed; sealed_xid and sealed_id the keyset position (write_xid, id) of the
-- last event_ids row the log has passed (NULL before any); frontier the tree's compact range at tree_size.
CREATE TABLE checkpoints (
  number     bigint         PRIMARY KEY CHECK (number >= 0),
  tree_size  bigint         NOT NULL CHECK (tree_size >= 0),
  root_hash  bytea          NOT NULL CHECK (octet_length(root_hash) = 32),
  body       text           NOT NULL,
  signature  bytea          NOT NULL,
  sealed_xid bigint,
  sealed_id  uuid,
  frontier   bytea[]        NOT NULL,
  issued_at  timestamptz(3) NOT NULL,
  CHECK ((sealed_xid IS NULL) = (sealed_id IS NULL))
);
-- The first checkpoint whose tree holds a given seq: the one a proof or an archived month's manifest names.
CREATE INDEX checkpoints_tree_size_idx ON checkpoints (tree_size);

-- Append-only, as events and event_ids are (migrations 002, 008): the log is evidence only while nobody rewrites it.
CREATE FUNCTION audit_refuse_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    RAISE EXCEPTION 'the event log is append-only: TRUNCATE of % is not allowed', TG_TABLE_NAME
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Sealed events, tree nodes and checkpoints are kept forever.';
  END IF;
  RAISE EXCEPTION 'the event log is append-only: % of a row of % is not allowed', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'Sealed events, tree nodes and checkpoints are kept forever.';
END $$;

CREATE TRIGGER event_log_append_only BEFORE UPDATE OR DELETE ON event_log
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_log_change();
CREATE TRIGGER event_log_no_truncate BEFORE TRUNCATE ON event_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_log_change();
CREATE TRIGGER log_nodes_append_only BEFORE UPDATE OR DELETE ON log_nodes
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_log_change();
CREATE TRIGGER log_nodes_no_truncate BEFORE TRUNCATE ON log_nodes
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_log_change();
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_log_change();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_log_change();

-- The sealer's own login user, made as migrations 002 and 006 made the writer's: roles are server-wide, and this
-- runs per database, possibly in several at once.
DO $$
BEGIN
  CREATE ROLE audit_sealer LOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$
BEGIN
  IF NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = 'audit_sealer') THEN
    ALTER ROLE audit_sealer LOGIN;
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE EXCEPTION 'cannot make audit_sealer a login user: %', SQLERRM
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'The migrating role must have created it (PostgreSQL 16+ gives its creator ADMIN on it), '
              || 'or hold ADMIN OPTION on it.';
END $$;
DO $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO audit_sealer', current_database());
END $$;

REVOKE ALL ON event_log, log_nodes, checkpoints FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO audit_sealer;
-- The sealer reads what it seals and appends to the log; it can change no event and write none.
GRANT SELECT ON events, event_ids TO audit_sealer;
GRANT SELECT, INSERT ON event_log, log_nodes, checkpoints TO audit_sealer;
-- Proofs are served by the query API.
GRANT SELECT ON event_log, log_nodes, checkpoints TO audit_reader;
`,
};
