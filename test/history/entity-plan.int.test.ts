import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildEventPageQuery } from '../../shared/adapters/postgres/event-query.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { monthRange } from '../../shared/core/domain/month.ts';
import { EARLIEST_INSTANT } from '../../shared/core/query/params.ts';
import { insertEvents, monthEvents } from '../lifecycle/fixture.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventAbout } from '../support/events.ts';

/** Issue 14, item 1: an entity's uncapped history is read through its indexes at any depth, never a whole month. */
const MONTHS = monthRange({ year: 2025, month: 1 }, { year: 2025, month: 6 });
let db: TestDatabase;
let reader: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase('history_entity_plan');
  reader = createPool({ connectionString: db.readerUrl, max: 1 });
  for (const month of MONTHS) {
    const noise = monthEvents(month, 3000, 'noise');
    const about = noise.slice(0, 3).map((e, i) =>
      eventAbout(i === 0 ? 'robot:r-9' : 'container:c-9', {
        occurredAt: e.occurredAt,
        related: i === 0 ? [] : [{ type: 'robot', id: 'r-9' }],
      }),
    );
    await insertEvents(db.pool, [...noise.slice(3), ...about], { sealed: false });
  }
  await db.pool.query('ANALYZE events');
});

afterAll(async () => {
  await reader?.end();
  await db?.drop();
});

async function plan(after?: { occurredAt: string; id: string }): Promise<string> {
  const q = buildEventPageQuery(
    { entity: { type: 'robot', id: 'r-9' }, since: EARLIEST_INSTANT, until: new Date('2025-07-01Z') },
    { order: 'desc', limit: 100, ...(after && { after }) },
  );
  const { rows } = await reader.query(`EXPLAIN ${q.text}`, q.values);
  return rows.map((r) => r['QUERY PLAN'] as string).join('\n');
}

it.each([
  ['the newest page', undefined],
  ['a page deep in the past', { occurredAt: '2025-02-10T00:00:00.000Z', id: '00000000-0000-7000-8000-000000000000' }],
])('%s of an uncapped entity history reads its indexes, month by month, scanning none', async (_, after) => {
  const text = await plan(after);
  expect(text).not.toMatch(/Seq Scan/);
  // Its own events: each month's entity index, the months in order, stopping after the page.
  // Below a position, the months after it are not read at all.
  const months = after ? ['02', '01'] : ['06', '05', '04', '03', '02', '01'];
  expect(text).toMatch(
    new RegExp(
      `Limit[^\n]*\n\\s+->\\s+Append[^\n]*\n\\s+->\\s+Index Scan using events_2025_${months[0]}_entity_type_entity_id`,
    ),
  );
  expect(text.match(/Index Scan using events_2025_(\d{2})_entity_type_entity_id_occurred_at_id_idx/g)).toEqual(
    months.map((m) => expect.stringContaining(`events_2025_${m}_`)),
  );
  // Those naming it in related: each month's GIN index, as a bitmap, never the primary key with a filter.
  expect(text.match(/Bitmap Index Scan on events_2025_\d{2}_related_idx/g)).toHaveLength(months.length);
  expect(text).not.toMatch(/pkey/);
});
