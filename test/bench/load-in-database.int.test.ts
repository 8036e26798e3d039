import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, createRandom } from '../../bench/events.ts';
import { eventChunks } from '../../bench/load.ts';
import { loadEventsInDatabase, templatePlan } from '../../bench/load-in-database.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('templatePlan', () => {
  it('covers exactly the rows asked for, the last copy cut', () => {
    expect(templatePlan(100_000_000, 0, 365 * 86_400_000)).toEqual({
      template: 1_000_000,
      windowMs: 315_360_000,
      copies: 100,
      lastRows: 1_000_000,
    });
    expect(templatePlan(2_500, 0, 2_500_000, 1_000)).toEqual({
      template: 1000,
      windowMs: 1_000_000,
      copies: 3,
      lastRows: 500,
    });
    expect(templatePlan(10, 0, 1000, 1_000)).toEqual({ template: 10, windowMs: 1000, copies: 1, lastRows: 10 });
  });
});

describe('loadEventsInDatabase', () => {
  let db: TestDatabase;
  const fleet = createFleet(40);
  const startMs = Date.UTC(2026, 0, 1);
  const endMs = Date.UTC(2026, 3, 1);

  beforeAll(async () => {
    db = await createTestDatabase('bench-load-in-database');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('stores exactly the rows asked for, spread over the range, each id a UUIDv7 of its own instant, and copies of the template otherwise', async () => {
    const loaded = await loadEventsInDatabase(db, fleet, 2_500, startMs, endMs, () => undefined, 1_000);
    expect(loaded.rows).toBe(2_500);
    const { rows } = await db.pool.query<{
      id: string;
      occurred_at: Date;
      received_at: Date;
      type: string;
      entity_id: string;
      payload: unknown;
    }>('SELECT id::text, occurred_at, received_at, type, entity_id, payload FROM events ORDER BY occurred_at, id');
    expect(rows).toHaveLength(2_500);
    expect(new Set(rows.map((row) => row.id)).size).toBe(2_500);
    for (const row of rows) {
      const idMs = Number.parseInt(row.id.replaceAll('-', '').slice(0, 12), 16);
      expect(idMs).toBe(row.occurred_at.getTime());
      expect(row.id[14]).toBe('7');
      expect(row.received_at.getTime()).toBeGreaterThan(row.occurred_at.getTime());
    }
    const times = rows.map((row) => row.occurred_at.getTime());
    expect(Math.min(...times)).toBeGreaterThanOrEqual(startMs);
    expect(Math.max(...times)).toBeLessThan(endMs);
    // Each month of the range holds about a third of the rows (Jan 31, Feb 28, Mar 31 days).
    const perMonth = await db.pool.query<{ month: number; n: number }>(
      "SELECT extract(month FROM occurred_at AT TIME ZONE 'UTC')::int AS month, count(*)::int AS n FROM events GROUP BY 1 ORDER BY 1",
    );
    expect(perMonth.rows.map((row) => row.month)).toEqual([1, 2, 3]);
    for (const { n } of perMonth.rows) expect(n).toBeGreaterThan(700);
    // The first window is the template itself: what loadEvents would have generated for those rows (ids aside: their
    // random bits are not seeded).
    const template = [
      ...eventChunks(createRandom(100), fleet, { first: 0, count: 1_000, total: 2_500, startMs, endMs }),
    ].flat();
    expect(
      rows.slice(0, 1_000).map((row) => [row.occurred_at.toISOString(), row.type, row.entity_id, row.payload]),
    ).toEqual(template.map((event) => [event.occurredAt, event.type, event.entity.id, event.payload]));
    // The second window is the template shifted by the window, same bodies.
    const windowMs = (endMs - startMs) * (1_000 / 2_500);
    expect(rows[1_000]!.occurred_at.getTime()).toBe(Date.parse(template[0]!.occurredAt) + windowMs);
    expect(rows[1_000]!.payload).toEqual(template[0]!.payload);
    const leftOver = await db.pool.query("SELECT to_regclass('bench_template') AS t");
    expect(leftOver.rows[0].t).toBeNull();
  });
});
