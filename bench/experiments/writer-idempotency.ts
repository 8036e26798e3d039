/**
 * What claiming ids in event_ids (migration 008) costs the writer, shape by shape. Every variant gets its own fresh
 * migrated database with the same events, and the variants take turns batch by batch (the order reversed every
 * other batch), so a noisy, shared machine slows them alike; the figure is the median time per batch.
 * Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/experiments/writer-idempotency.ts
 *      [--events 40000] [--per-message 100] [--rounds 3] [--variants pre_008,product]
 * Only `product` (PgEventStore.write) keeps every guarantee; `fast_path` and `careful_path` are its statements for a
 * batch of new ids and for one with a held id, timed alone; `pre_008` and `plain_insert` claim no ids (the floor); the
 * others are shapes measured on the way (bench/README.md has the figures), among them the fast path reading its
 * batch from column arrays or JSON, once or once per insert. Then the first 10 batches are written again, as a
 * redelivery would, by the variants that take that as a no-op. Besides the wall time, the CPU each variant spent
 * per event: Node.js's (process.cpuUsage around its writes) and its PostgreSQL backend's (/proc schedstat, when the
 * server is local), which a loaded machine disturbs far less.
 */
import { hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import {
  EVENT_COLUMNS,
  eventRow,
  INSERT_EVENTS_SQL,
  insertParameters,
  WRITE_EVENTS_SQL,
  WRITE_NEW_EVENTS_SQL,
  writeParameters,
} from '../../shared/adapters/postgres/event-rows.ts';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { canonicalJson, eventContent } from '../../shared/core/domain/event-digest.ts';
import { createFleet, createRandom } from '../events.ts';
import { prepareTable, writerBatches } from '../ingest.ts';
import { type BenchDatabase, startBenchServer } from '../server.ts';

const TYPES = [...INSERT_EVENTS_SQL.matchAll(/::(\w+)\[\]/g)].map((match) => match[1]!);
const UNNEST = `unnest(${TYPES.map((type, i) => `$${i + 1}::${type}[]`).join(', ')}`;
const B_COLUMNS = EVENT_COLUMNS.split(', ')
  .map((name) => `b.${name}`)
  .join(', ');
const FIELDS =
  'entity_type, entity_id, type, severity, (extract(epoch FROM occurred_at) * 1000)::bigint, related, actor, ' +
  'source_channel, source_principal, payload, trace_id, span_id, causation_id';
/** Migration 008's digest as merged (the function is inlined, so the expression costs what the call did). */
const JSONB_DIGEST = `sha256(convert_to(jsonb_build_array(${FIELDS})::text, 'UTF8'))`;

/** The writer's statement as migration 008 merged it, its digest computed in SQL or passed as $19. */
const merged = (digest: string, digestParameter = false) => `
WITH batch AS (
  SELECT e.*, ${digest} AS digest
    FROM ${UNNEST}${digestParameter ? ', $19::bytea[]' : ''}) WITH ORDINALITY
         AS e(${EVENT_COLUMNS}${digestParameter ? ', given' : ''}, ord)
),
firsts AS (SELECT DISTINCT ON (id) id, occurred_at, digest, ord FROM batch ORDER BY id, ord),
known AS (SELECT id, held.occurred_at, held.digest FROM event_ids held JOIN firsts USING (id)),
claimed AS (
  INSERT INTO event_ids (id, occurred_at, digest) SELECT id, occurred_at, digest FROM firsts
  ON CONFLICT (id) DO NOTHING RETURNING id
),
inserted AS (
  INSERT INTO events (${EVENT_COLUMNS})
  SELECT ${B_COLUMNS} FROM batch b JOIN firsts f ON f.ord = b.ord JOIN claimed c ON c.id = b.id
  ON CONFLICT DO NOTHING RETURNING id
)
SELECT b.ord::int AS ord, b.digest, i.id IS NOT NULL AS inserted,
       coalesce(k.digest, CASE WHEN c.id IS NOT NULL THEN f.digest END) AS held_digest,
       coalesce(k.occurred_at, CASE WHEN c.id IS NOT NULL THEN f.occurred_at END) AS held_occurred_at
  FROM batch b JOIN firsts f ON f.id = b.id LEFT JOIN known k ON k.id = b.id
  LEFT JOIN claimed c ON c.id = b.id LEFT JOIN inserted i ON i.id = b.id AND b.ord = f.ord
 ORDER BY b.ord`;

/** The merged statement without its per-event answer: the two inserts only. */
const MERGED_INSERTS_ONLY = merged(JSONB_DIGEST).replace(
  /\)\nSELECT b\.ord[\s\S]*$/,
  ')\nSELECT count(*) FROM inserted',
);

/** The fast path with the digest computed by the core (eventDigest's bytes) and passed as $19. */
const FAST_PATH_GIVEN_DIGEST = `
WITH stored AS (INSERT INTO events (${EVENT_COLUMNS}) SELECT * FROM ${UNNEST}) AS e(${EVENT_COLUMNS}))
INSERT INTO event_ids (id, occurred_at, digest)
SELECT * FROM unnest($1::uuid[], $5::timestamptz[], $19::bytea[]) AS e(id, occurred_at, digest) ORDER BY id`;

const coreDigest = (event: StoredEvent) => hash('sha256', canonicalJson(eventContent(event)), 'buffer');

const DIGEST = WRITE_NEW_EVENTS_SQL.match(/audit_event_digest\([^)]*\)/)![0];
const COLUMN_DEFINITIONS = EVENT_COLUMNS.split(', ')
  .map((name, i) => `${name} ${TYPES[i]}`)
  .join(', ');
const FROM_JSON = `json_to_recordset($1::json) AS e(${COLUMN_DEFINITIONS})`;
const FROM_JSONB = `jsonb_to_recordset($1::jsonb) AS e(${COLUMN_DEFINITIONS})`;
const FROM_ARRAYS = `${UNNEST}) AS e(${EVENT_COLUMNS})`;
/** The fast path reading its batch from `source` once for each insert: WRITE_NEW_EVENTS_SQL before the JSON batch. */
const twice = (source: string) => `
WITH stored AS (INSERT INTO events (${EVENT_COLUMNS}) SELECT * FROM ${source})
INSERT INTO event_ids (id, occurred_at, digest)
SELECT id, occurred_at, ${DIGEST} FROM ${source} ORDER BY id`;
/** The fast path with its batch read once, into a materialized CTE that both inserts read (the product, from JSON). */
const once = (source: string) => `
WITH batch AS MATERIALIZED (SELECT * FROM ${source}),
stored AS (INSERT INTO events (${EVENT_COLUMNS}) SELECT * FROM batch)
INSERT INTO event_ids (id, occurred_at, digest)
SELECT id, occurred_at, ${DIGEST} FROM batch ORDER BY id`;
/** The batch as rows keyed a, b, c, … instead of by column: less JSON for PostgreSQL to read. */
const SHORT_KEYS = EVENT_COLUMNS.split(', ').map((_, i) => String.fromCharCode(97 + i));
const shortKeyRows = (batch: readonly StoredEvent[]) => [
  JSON.stringify(
    batch.map((event) => {
      const row: Record<string, unknown> = {};
      Object.values(eventRow(event)).forEach((value, i) => {
        row[SHORT_KEYS[i]!] = value;
      });
      return row;
    }),
  ),
];
const FROM_SHORT_KEYS = `(SELECT ${SHORT_KEYS.map((key, i) => `${key} AS ${EVENT_COLUMNS.split(', ')[i]}`).join(', ')}
  FROM json_to_recordset($1::json) AS r(${SHORT_KEYS.map((key, i) => `${key} ${TYPES[i]}`).join(', ')})) AS e`;
/** The batch from jsonb, each field taken by ->> (scalars, cast) or -> (related and payload: no second parse). */
const FROM_JSONB_ELEMENTS = `(SELECT ${EVENT_COLUMNS.split(', ')
  .map((name, i) =>
    TYPES[i] === 'jsonb'
      ? `r->'${name}' AS ${name}`
      : `(r->>'${name}')${TYPES[i] === 'text' ? '' : `::${TYPES[i]}`} AS ${name}`,
  )
  .join(', ')} FROM jsonb_array_elements($1::jsonb) AS r) AS e`;

/** WRITE_EVENTS_SQL before the JSON batch: the careful path from column arrays. */
const ARRAYS_CAREFUL_PATH = WRITE_EVENTS_SQL.replace(/json_to_recordset\(\$1::json\) AS e\([^)]*\)/, FROM_ARRAYS);

type Write = (pool: pg.Pool) => (batch: readonly StoredEvent[]) => Promise<unknown>;

const VARIANTS: Record<string, Write> = {
  pre_008: (pool) => (batch) => pool.query(INSERT_EVENTS_SQL, insertParameters(batch)),
  plain_insert: (pool) => (batch) =>
    pool.query(`INSERT INTO events (${EVENT_COLUMNS}) SELECT * FROM ${UNNEST})`, insertParameters(batch)),
  merged_008: (pool) => (batch) => pool.query(merged(JSONB_DIGEST), insertParameters(batch)),
  merged_given_digest: (pool) => (batch) =>
    pool.query(merged('given', true), [...insertParameters(batch), batch.map(coreDigest)]),
  merged_inserts_only: (pool) => (batch) => pool.query(MERGED_INSERTS_ONLY, insertParameters(batch)),
  two_statements: (pool) => async (batch) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ id: string }>(
        'INSERT INTO event_ids (id, occurred_at, digest) SELECT * FROM unnest($1::uuid[], $2::timestamptz[], ' +
          '$3::bytea[]) ORDER BY 1 ON CONFLICT (id) DO NOTHING RETURNING id',
        [batch.map((e) => e.id), batch.map((e) => e.occurredAt), batch.map(coreDigest)],
      );
      const claimed = new Set(rows.map((row) => row.id));
      await client.query(INSERT_EVENTS_SQL, insertParameters(batch.filter((e) => claimed.has(e.id))));
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  },
  careful_path: (pool) => (batch) => pool.query(WRITE_EVENTS_SQL, writeParameters(batch)),
  arrays_careful_path: (pool) => (batch) => pool.query(ARRAYS_CAREFUL_PATH, insertParameters(batch)),
  fast_path_given_digest: (pool) => (batch) =>
    pool.query(FAST_PATH_GIVEN_DIGEST, [...insertParameters(batch), batch.map(coreDigest)]),
  fast_path: (pool) => (batch) => pool.query(WRITE_NEW_EVENTS_SQL, writeParameters(batch)),
  arrays_twice_fast_path: (pool) => (batch) => pool.query(twice(FROM_ARRAYS), insertParameters(batch)),
  arrays_once_fast_path: (pool) => (batch) => pool.query(once(FROM_ARRAYS), insertParameters(batch)),
  json_twice_fast_path: (pool) => (batch) => pool.query(twice(FROM_JSON), writeParameters(batch)),
  jsonb_twice_fast_path: (pool) => (batch) => pool.query(twice(FROM_JSONB), writeParameters(batch)),
  jsonb_once_fast_path: (pool) => (batch) => pool.query(once(FROM_JSONB), writeParameters(batch)),
  short_keys_fast_path: (pool) => (batch) => pool.query(once(FROM_SHORT_KEYS), shortKeyRows(batch)),
  jsonb_elements_fast_path: (pool) => (batch) => pool.query(once(FROM_JSONB_ELEMENTS), writeParameters(batch)),
  product: (pool) => {
    const store = new PgEventStore(pool);
    return (batch) => store.write(batch);
  },
};

/** Plain inserts with no fallback: a held id is an error. */
const FAILS_ON_RESEND = new Set([
  'plain_insert',
  'fast_path_given_digest',
  'fast_path',
  'arrays_twice_fast_path',
  'arrays_once_fast_path',
  'json_twice_fast_path',
  'jsonb_twice_fast_path',
  'jsonb_once_fast_path',
  'short_keys_fast_path',
  'jsonb_elements_fast_path',
]);

/** CPU time a local backend has run, in µs (its schedstat, ns resolution), or NaN when /proc does not show it. */
function backendCpuUs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
  } catch {
    return Number.NaN;
  }
}

interface Lane {
  label: string;
  /** The writer connection's backend: where the statement's PostgreSQL CPU is spent. */
  backendPid: number;
  db: BenchDatabase;
  pool: pg.Pool;
  write: (batch: readonly StoredEvent[]) => Promise<unknown>;
}

async function main() {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '40000' },
      'per-message': { type: 'string', default: '100' },
      rounds: { type: 'string', default: '3' },
      variants: { type: 'string', default: Object.keys(VARIANTS).join(',') },
    },
  });
  const total = Number(values.events);
  const labels = values.variants.split(',');
  for (const label of labels) if (!VARIANTS[label]) throw new Error(`unknown variant ${label}`);
  const batches = writerBatches(createRandom(1), createFleet(5000), total, Number(values['per-message']), Date.now());
  const server = await startBenchServer();
  const samples: Record<string, number[]> = {};
  const resends: Record<string, number[]> = {};
  /** Node.js CPU (user + system) spent in each variant's writes, and the events they wrote: per event, the mean. */
  const cpu: Record<string, { us: number; events: number }> = {};
  /** The same for the PostgreSQL backend of the variant's connection (local server only). */
  const pgCpu: Record<string, number> = {};
  const open = async (label: string): Promise<Lane> => {
    const db = await server.createDatabase(label);
    await prepareTable(db, batches.flat());
    const pool = createPool({ connectionString: db.writerUrl, max: 1 });
    const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return { label, db, pool, backendPid: rows[0]!.pid, write: VARIANTS[label]!(pool) };
  };
  const timed = async (lane: Lane, batch: readonly StoredEvent[], into: Record<string, number[]>) => {
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const pgBefore = backendCpuUs(lane.backendPid);
    await lane.write(batch);
    const used = process.cpuUsage(cpuBefore);
    const pgUsed = backendCpuUs(lane.backendPid) - pgBefore;
    const ms = performance.now() - started;
    into[lane.label] = [...(into[lane.label] ?? []), ms];
    if (into === samples) {
      const spent = cpu[lane.label] ?? { us: 0, events: 0 };
      cpu[lane.label] = { us: spent.us + used.user + used.system, events: spent.events + batch.length };
      pgCpu[lane.label] = (pgCpu[lane.label] ?? 0) + pgUsed;
    }
  };
  try {
    for (let round = 0; round < Number(values.rounds); round++) {
      const lanes: Lane[] = [];
      for (const label of labels) lanes.push(await open(label));
      try {
        for (let i = 0; i < batches.length; i++)
          for (const lane of i % 2 === 0 ? lanes : [...lanes].reverse()) await timed(lane, batches[i]!, samples);
        // The backend CPU figures hold if each lane kept its connection (a failed query would have replaced it).
        for (const lane of lanes) {
          const { rows } = await lane.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          if (rows[0]!.pid !== lane.backendPid) throw new Error(`${lane.label} changed connections`);
        }
        // A redelivered batch: every id held, with the same content (a no-op for every variant).
        for (let i = 0; i < Math.min(10, batches.length); i++)
          for (const lane of lanes) if (!FAILS_ON_RESEND.has(lane.label)) await timed(lane, batches[i]!, resends);
        for (const lane of lanes) {
          const { rows } = await lane.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
          if (rows[0]!.n !== total) throw new Error(`${lane.label} stored ${rows[0]!.n} of ${total} events`);
        }
      } finally {
        for (const lane of lanes) {
          await lane.pool.end();
          await lane.db.drop();
        }
      }
      process.stderr.write(`round ${round + 1} done\n`);
    }
  } finally {
    await server.stop();
  }
  const base = median(samples['pre_008'] ?? samples[labels[0]!]!);
  const lines = [
    '| variant | median ms per batch | rows/s | vs pre_008 | Node CPU µs per event | PostgreSQL backend CPU µs per event | redelivered batch median ms |',
    '|---|---|---|---|---|---|---|',
    ...labels.map((label) => {
      const ms = median(samples[label]!);
      const rowsPerS = Math.round((batches[0]!.length * 1000) / ms);
      const cpuPerEvent = (cpu[label]!.us / cpu[label]!.events).toFixed(1);
      const pgPerEvent = (pgCpu[label]! / cpu[label]!.events).toFixed(1);
      return `| ${label} | ${ms.toFixed(2)} | ${rowsPerS} | ${(base / ms).toFixed(2)} | ${cpuPerEvent} | ${pgPerEvent} | ${resends[label] ? median(resends[label]).toFixed(2) : '—'} |`;
    }),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

await main();
