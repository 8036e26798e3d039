import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileObjectStore } from '../../shared/adapters/files/file-store.ts';
import { rollUpEventCounts } from '../../shared/adapters/postgres/event-counts.ts';
import { WRITE_EVENTS_SQL, WRITE_NEW_EVENTS_SQL, writeParameters } from '../../shared/adapters/postgres/event-rows.ts';
import { runMaintenance } from '../../shared/adapters/postgres/maintenance/maintain.ts';
import { ensureMonthPartitions } from '../../shared/adapters/postgres/partitions.ts';
import { PgEventStore } from '../../shared/adapters/postgres/pg-event-store.ts';
import { PgQueryStore } from '../../shared/adapters/postgres/pg-query-store.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { buildRollupStatsQuery } from '../../shared/adapters/postgres/rollup-query.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { type Month, monthRange } from '../../shared/core/domain/month.ts';
import { SEVERITIES, type Severity } from '../../shared/core/domain/severity.ts';
import type { Dimension, EventQueryFilter, Interval } from '../../shared/core/query/filter.ts';
import { planStats } from '../../shared/core/query/rollups.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { storedEvent } from '../support/events.ts';
import { sealAll } from '../support/seal-all.ts';

const MONTHS: Month[] = monthRange({ year: 2024, month: 1 }, { year: 2024, month: 4 });
const START = Date.UTC(2024, 0, 1);
const END = Date.UTC(2024, 4, 1);
const KINDS: [string, Severity, string][] = [
  ['robot.online', 'INFO', 'robot'],
  ['robot.offline', 'WARNING', 'robot'],
  ['robot.offline', 'CRITICAL', 'robot'],
  ['sensor.payload.decode_failed', 'ERROR', 'sensor'],
  ['controller.protocol.error', 'ERROR', 'controller'],
  ['user.override', 'WARNING', 'user'],
  ['container.moved', 'INFO', 'container'],
];
const ACTORS = ['user:alice', 'user:bob', 'device:r-1', 'device:s-2', 'service:planner'];
const TYPE_FILTERS = [undefined, 'robot.*', 'robot.offline', 'user.override', 'sensor.*'];
const INTERVALS: Interval[] = ['hour', 'day', 'month'];
const GROUPS: Dimension[] = ['severity', 'type', 'entityType', 'actor'];

/** mulberry32: the same seed, the same events and cases. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ (t + t);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = random(20240101);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;

function randomEvent(fromMs: number, toMs: number): StoredEvent {
  const [type, severity, entityType] = pick(KINDS);
  const [actorType, actorId] = pick(ACTORS).split(':') as ['user' | 'device' | 'service', string];
  const occurred = new Date(Math.floor(fromMs + rand() * (toMs - fromMs)));
  return storedEvent({
    type,
    severity,
    occurredAt: occurred.toISOString(),
    receivedAt: new Date(occurred.getTime() + 1000).toISOString(),
    entity: { type: entityType, id: `${entityType[0]}-${Math.floor(rand() * 3)}` },
    actor: { type: actorType, id: actorId },
    source: { channel: actorType === 'device' ? 'iot' : 'http', principal: actorId },
  });
}

function randomFilter(): EventQueryFilter {
  const since = START - 5 * 86_400_000 + rand() * (END - START);
  const until = since + 1 + rand() * 130 * 86_400_000;
  const filter: EventQueryFilter = { since: new Date(since), until: new Date(until) };
  const type = pick(TYPE_FILTERS);
  if (type) filter.type = type;
  if (rand() < 0.25) filter.severities = SEVERITIES.filter(() => rand() < 0.5);
  if (rand() < 0.2) filter.minSeverity = pick(SEVERITIES);
  if (rand() < 0.25) filter.actor = pick(ACTORS);
  if (rand() < 0.15) filter.hiddenTypePrefixes = ['user.'];
  return filter;
}

let db: TestDatabase;
let writerPool: pg.Pool;
let readerPool: pg.Pool;
let writer: PgEventStore;
let reader: PgQueryStore;

/** What the rollup path answers, and what count(*) over the raw rows of the same window says. */
async function bothWays(filter: EventQueryFilter, interval: Interval, groupBy: Dimension) {
  const options = { interval, groupBy, maxRows: 100_000 };
  const plan = planStats(filter, options, await reader.statsCoverage());
  const rolled = await reader.stats(filter, { ...options, plan });
  const raw = await reader.stats({ ...filter, ...plan.window }, options);
  return { plan, rolled, raw };
}

beforeAll(async () => {
  db = await createTestDatabase('rollups');
  await ensureMonthPartitions(db.pool, MONTHS);
  writerPool = createPool({ connectionString: db.writerUrl, max: 3 });
  readerPool = createPool({ connectionString: db.readerUrl, max: 2 });
  writer = new PgEventStore(writerPool);
  reader = new PgQueryStore(readerPool);
});
afterAll(async () => {
  await writerPool?.end();
  await readerPool?.end();
  await db?.drop();
});

describe('rollups are exact', () => {
  it('equal count(*) over raw rows for random windows, filters, intervals and groupings, late events included', async () => {
    // Written by the writer's own login in random batches, rolled up now and then; the second lot lands in hours,
    // days and months that are already rolled up (late events).
    const first = Array.from({ length: 1500 }, () => randomEvent(START, END - 20 * 86_400_000));
    const late = Array.from({ length: 500 }, () => randomEvent(START, END));
    for (const lot of [first, late])
      for (let i = 0; i < lot.length; ) {
        const size = 1 + Math.floor(rand() * 120);
        await writer.insert(lot.slice(i, i + size));
        i += size;
        if (rand() < 0.3) await rollUpEventCounts(db.pool);
      }
    const deltas = Number((await db.pool.query('SELECT count(*) FROM event_count_deltas')).rows[0].count);
    const { rows } = await db.pool.query<{ total: string }>(
      `SELECT sum(count) AS total FROM event_counts WHERE level = 'month'`,
    );
    // Both halves are exercised: some counts rolled up, some still deltas.
    expect(Number(rows[0]!.total)).toBeGreaterThan(0);
    expect(deltas).toBeGreaterThan(0);

    for (let n = 0; n < 80; n++) {
      if (n === 40) await rollUpEventCounts(db.pool);
      const filter = randomFilter();
      const interval = pick(INTERVALS);
      const groupBy = pick(GROUPS);
      const { plan, rolled, raw } = await bothWays(filter, interval, groupBy);
      expect(plan.basis).toBe('rollups');
      expect(plan.window).toEqual({ since: filter.since, until: filter.until });
      expect(rolled, JSON.stringify({ filter, interval, groupBy })).toEqual(raw);
    }
    const all = await bothWays({ since: new Date(START), until: new Date(END) }, 'month', 'severity');
    expect(all.rolled.reduce((sum, row) => sum + row.count, 0)).toBe(first.length + late.length);
  });

  it('reads no raw row for a window of whole hours, and only the edge months otherwise (the plan)', async () => {
    const explain = async (filter: EventQueryFilter) => {
      const options = { interval: 'hour' as const, groupBy: 'severity' as const, maxRows: 20_000 };
      const plan = planStats(filter, options, await reader.statsCoverage());
      const query = buildRollupStatsQuery(filter, plan, options)!;
      const { rows } = await readerPool.query(`EXPLAIN ${query.text}`, query.values);
      return rows.map((row) => row['QUERY PLAN'] as string).join('\n');
    };
    const whole = await explain({ since: new Date('2024-02-01T00:00Z'), until: new Date('2024-03-02T00:00Z') });
    expect(whole).toMatch(/event_counts_pkey/);
    expect(whole).not.toMatch(/events_20/);
    const edges = await explain({ since: new Date('2024-01-31T10:30Z'), until: new Date('2024-03-02T08:15Z') });
    expect([...new Set(edges.match(/events_\d{4}_\d{2}/g))].sort()).toEqual(['events_2024_01', 'events_2024_03']);
  });
});

describe('concurrent writers', () => {
  it('never wait on each other for counts, and a roll-up moves only what has committed', async () => {
    const hour = '2024-04-20T10:';
    const batch = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        storedEvent({ type: 'robot.online', occurredAt: `${hour}${String(10 + i).padStart(2, '0')}:00.000Z` }),
      );
    const window = { since: new Date(`${hour}00:00Z`), until: new Date(`${hour}59:59.999Z`) };
    const count = async () => (await bothWays({ ...window, type: 'robot.online' }, 'hour', 'severity')).rolled;
    const before = (await count())[0]?.count ?? 0;
    const a = await writerPool.connect();
    const b = await writerPool.connect();
    try {
      await a.query('BEGIN');
      await a.query(WRITE_NEW_EVENTS_SQL, writeParameters(batch(5)));
      // A's transaction is open with deltas for the same hour and keys: B and a roll-up must not wait for it.
      await b.query(`SET lock_timeout = '300ms'`);
      await b.query(WRITE_NEW_EVENTS_SQL, writeParameters(batch(7)));
      await db.pool.query(`SET lock_timeout = '300ms'`);
      expect(await rollUpEventCounts(db.pool)).toBeGreaterThan(0);
      expect((await count())[0]?.count).toBe(before + 7);
      await a.query('COMMIT');
      expect((await count())[0]?.count).toBe(before + 12);
      await rollUpEventCounts(db.pool);
      expect((await count())[0]?.count).toBe(before + 12);
      const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM event_count_deltas`);
      expect(rows[0].n).toBe(0);
    } finally {
      await a.query('ROLLBACK').catch(() => undefined);
      a.release();
      b.release();
    }
  });
});

describe('after archival', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rollups-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps counting a dropped month, late events included, and says which months raw rows cannot count', async () => {
    const january = { since: new Date('2024-01-01T00:00Z'), until: new Date('2024-02-01T00:00Z') };
    const edgy = { since: new Date('2024-01-10T10:30Z'), until: new Date('2024-02-03T05:45Z') };
    const before = await bothWays(january, 'day', 'type');
    const edgyBefore = await bothWays({ since: new Date('2024-01-10T10:00Z'), until: edgy.until }, 'day', 'type');
    await sealAll(db.pool);
    const result = await runMaintenance(
      { pool: db.pool, store: new FileObjectStore(join(dir, 'archive')) },
      { now: new Date('2025-02-10T00:00Z'), retentionMonths: 12, premakeMonths: 0, workDir: join(dir, 'work') },
    );
    expect(result.dropped).toEqual(['2024-01']);

    const after = await bothWays(january, 'day', 'type');
    expect(after.plan.basis).toBe('rollups');
    expect(after.rolled).toEqual(before.rolled);
    expect(after.raw).toEqual([]);
    // An edge inside the dropped month is counted as its whole hour, and the window says so.
    const rounded = await bothWays(edgy, 'day', 'type');
    expect(rounded.plan.window).toEqual({ since: new Date('2024-01-10T10:00Z'), until: edgy.until });
    expect(rounded.rolled).toEqual(edgyBefore.rolled);
    // A filter only raw rows answer says the month is missing rather than answering zero.
    const options = { interval: 'day' as const, groupBy: 'severity' as const };
    const coverage = await reader.statsCoverage();
    expect(planStats({ ...january, q: 'x' }, options, coverage)).toMatchObject({
      basis: 'events',
      archived: ['2024-01'],
    });
    expect(planStats({ ...january, q: 'x' }, options, coverage).reason).toMatch(/q filter needs raw rows/);

    // A late event for the dropped month: counted once, though its month's raw rows are now only the late ones.
    const lateOne = storedEvent({ type: 'robot.online', occurredAt: '2024-01-15T12:34:56.000Z' });
    await writer.insert([lateOne]);
    const withLate = await bothWays(january, 'month', 'type');
    const onlineBefore = before.rolled.filter((r) => r.key === 'robot.online').reduce((s, r) => s + r.count, 0);
    expect(withLate.rolled.find((r) => r.key === 'robot.online')?.count).toBe(onlineBefore + 1);
    expect(planStats({ ...january, q: 'x' }, options, await reader.statsCoverage()).archived).toEqual(['2024-01']);
  });
});

describe("the writer's real statements", () => {
  const window = { since: new Date('2024-04-25T00:00Z'), until: new Date('2024-04-26T00:00Z') };
  const total = async () =>
    (await bothWays({ ...window, type: 'container.moved' }, 'day', 'severity')).rolled.reduce((s, r) => s + r.count, 0);
  const batch = (n: number, minute: number) =>
    Array.from({ length: n }, (_, i) =>
      storedEvent({
        type: 'container.moved',
        occurredAt: `2024-04-25T${String(minute).padStart(2, '0')}:${String(i).padStart(2, '0')}:00.000Z`,
      }),
    );

  it('count a redelivered batch once, also when it comes back with new events and after a roll-up', async () => {
    const before = await total();
    const first = batch(6, 1);
    await writer.insert(first);
    await rollUpEventCounts(db.pool);
    // The same batch again (WRITE_NEW_EVENTS_SQL fails on the held ids, WRITE_EVENTS_SQL stores the new ones).
    await writer.insert([...first, ...batch(4, 2)]);
    await writer.insert(first);
    expect(await total()).toBe(before + 10);
    await rollUpEventCounts(db.pool);
    expect(await total()).toBe(before + 10);
  });

  it('count only what WRITE_EVENTS_SQL claims when another writer claimed the same ids first', async () => {
    const before = await total();
    const events = batch(5, 3);
    await writerPool.query(WRITE_NEW_EVENTS_SQL, writeParameters(events.slice(0, 3)));
    // ON CONFLICT DO NOTHING on event_ids: the three held ids are not inserted into events, so not counted.
    const { rows } = await writerPool.query(WRITE_EVENTS_SQL, writeParameters(events));
    expect(rows).toHaveLength(2);
    expect(await total()).toBe(before + 5);
  });
});

describe('hideOwnAudit', () => {
  it("leaves the reader's own audit records out of rollup counts as it does out of raw counts", async () => {
    const at = (minute: number) => `2024-04-27T10:${String(minute).padStart(2, '0')}:00.000Z`;
    await writer.insert([
      storedEvent({ type: 'audit.read', occurredAt: at(1), actor: { type: 'user', id: 'alice' } }),
      storedEvent({ type: 'audit.read', occurredAt: at(2), actor: { type: 'user', id: 'alice' } }),
      storedEvent({ type: 'audit.read', occurredAt: at(3), actor: { type: 'user', id: 'bob' } }),
      storedEvent({ type: 'robot.online', occurredAt: at(4), actor: { type: 'user', id: 'alice' } }),
    ]);
    const filter = {
      since: new Date('2024-04-27T00:00Z'),
      until: new Date('2024-04-28T00:00Z'),
      hiddenAuditOf: 'user:alice',
    };
    for (const roll of [false, true]) {
      if (roll) await rollUpEventCounts(db.pool);
      for (const groupBy of ['type', 'actor'] as const) {
        const { plan, rolled, raw } = await bothWays(filter, 'day', groupBy);
        expect(plan.basis).toBe('rollups');
        expect(rolled).toEqual(raw);
      }
      // Only alice's audit.read records go: bob's stays, and so does alice's robot.online.
      const { hiddenAuditOf: _, ...unhidden } = filter;
      const byType = async (f: EventQueryFilter) =>
        new Map((await bothWays(f, 'day', 'type')).rolled.map((r) => [r.key, r.count]));
      const [hidden, all] = [await byType(filter), await byType(unhidden)];
      expect(hidden.get('audit.read')).toBe(1);
      expect(all.get('audit.read')).toBe(3);
      expect(hidden.get('robot.online')).toBe(all.get('robot.online'));
    }
  });
});
