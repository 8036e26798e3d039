import type { Migration } from './migration.ts';

/** The events table, partitioned by UTC month, and the indexes behind the queries users make. */
export const events: Migration = {
  name: '001_events',
  sql: /* sql */ `
CREATE TABLE events (
  id               uuid        NOT NULL,
  -- C collation: type names are ASCII, and a plain btree then also serves prefix searches (type LIKE 'robot.%').
  type             text        COLLATE "C" NOT NULL,
  severity         text        NOT NULL CHECK (severity IN ('INFO', 'WARNING', 'ERROR', 'CRITICAL')),
  -- OpenTelemetry severity number, stored so "at least ERROR" is a range that a partial index can serve.
  severity_number  smallint    NOT NULL,
  -- Millisecond precision, like the JavaScript dates events come from: keyset cursors then compare exactly.
  occurred_at      timestamptz(3) NOT NULL,
  received_at      timestamptz(3) NOT NULL,
  entity_type      text        NOT NULL,
  entity_id        text        NOT NULL,
  related          jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(related) = 'array'),
  -- "user:alice", "device:r-17", "service:writer": the actor's type and id.
  actor            text        NOT NULL,
  source_channel   text        NOT NULL CHECK (source_channel IN ('iot', 'http', 'internal')),
  source_principal text        NOT NULL,
  source_client_id text,
  source_ip        text,
  payload          jsonb       NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
  trace_id         text,
  span_id          text,
  causation_id     uuid,
  CONSTRAINT events_severity_number_matches CHECK (
    severity_number = CASE severity WHEN 'INFO' THEN 9 WHEN 'WARNING' THEN 13 WHEN 'ERROR' THEN 17 WHEN 'CRITICAL' THEN 21 END
  ),
  -- A redelivered event repeats both id and occurred_at, so this key makes INSERT ... ON CONFLICT DO NOTHING skip it
  -- in every month, forever (a unique key of a partitioned table must contain the partition key).
  -- occurred_at first: the key's btree then doubles as the time index, read backwards for the newest-first listing
  -- and its keyset cursor (occurred_at, id); and inserts append at its right edge, as events arrive roughly in time order.
  CONSTRAINT events_pkey PRIMARY KEY (occurred_at, id)
) PARTITION BY RANGE (occurred_at);
-- No default partition: it would have to be scanned, and would block, whenever a month is attached or detached.
-- Months are created on demand by audit_ensure_month_partition (migration 003).

-- Time ranges: served by events_pkey above. A BRIN index would be smaller, but cannot return rows in order,
-- so the newest-first pages with a LIMIT would still need the btree.

-- An entity's history: WHERE entity_type = $1 AND entity_id = $2 ORDER BY occurred_at DESC, id DESC.
CREATE INDEX events_entity_idx ON events (entity_type, entity_id, occurred_at DESC, id DESC);

-- Events that mention an entity (related @> '[{"type":"bay","id":"b-1"}]'); jsonb_path_ops is the smaller GIN
-- variant and supports exactly @>.
CREATE INDEX events_related_idx ON events USING gin (related jsonb_path_ops);

-- One type, or a family of types by prefix (robot.%, thanks to the C collation), over time.
CREATE INDEX events_type_idx ON events (type, occurred_at DESC);

-- Problems over time: only ERROR and CRITICAL rows, a small fraction, so the partial index stays small.
-- Queries must repeat the predicate (severity_number >= 17 or higher) for the planner to use it.
CREATE INDEX events_problems_idx ON events (occurred_at DESC) WHERE severity_number >= 17;

-- What a user, device or service did, over time.
CREATE INDEX events_actor_idx ON events (actor, occurred_at DESC);
`,
};
