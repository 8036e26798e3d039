import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArchiveJobs } from '../../shared/adapters/duckdb/archive-jobs.ts';
import { openLocalArchiveQuery } from '../../shared/adapters/duckdb/local-query.ts';
import { FileObjectStore } from '../../shared/adapters/files/file-store.ts';
import { runMaintenance } from '../../shared/adapters/postgres/maintenance/maintain.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { monthBounds, monthRange } from '../../shared/core/domain/month.ts';
import { insertEvents } from '../lifecycle/fixture.ts';
import { queryApi } from '../query/api-support.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventAbout } from '../support/events.ts';

/**
 * hideOwnAudit on a walk into the archive: the reader's own audit.* records are left out of the archive's rows as
 * they are out of PostgreSQL's, so the same history reads the same before and after its months are archived.
 */
const MONTHS = monthRange({ year: 2024, month: 1 }, { year: 2024, month: 4 });
const NOW = new Date('2025-10-15T08:00:00Z');

let db: TestDatabase;
let reader: pg.Pool;
let dir: string;
let api: ReturnType<typeof queryApi>;

/** Per month: the robot's own event, and audit records about it by the reader (ann) and by someone else (bob). */
const events: StoredEvent[] = MONTHS.flatMap((month) => {
  const at = (day: number) => new Date(monthBounds(month).start.getTime() + day * 86_400_000).toISOString();
  const auditBy = (user: string, day: number) =>
    eventAbout('robot:r-1', {
      type: 'audit.accessed',
      occurredAt: at(day),
      receivedAt: at(day),
      actor: { type: 'user', id: user },
      source: { channel: 'internal', principal: 'query-api' },
    });
  return [eventAbout('robot:r-1', { occurredAt: at(3), receivedAt: at(3) }), auditBy('ann', 5), auditBy('bob', 7)];
});

/** The whole walk as ann, with hideOwnAudit, into the archive when it points there. */
async function walk(): Promise<{ id: string; storedIn: string }[]> {
  const served: { id: string; storedIn: string }[] = [];
  const base = { limit: '2', hideOwnAudit: 'true' };
  const pathParameters = { type: 'robot', id: 'r-1' };
  let query: Record<string, string> = base;
  for (let pages = 0; pages < 100; pages++) {
    const page = await api.call('GET /entities/{type}/{id}/events', { user: 'ann', pathParameters, query });
    expect(page.status).toBe(200);
    served.push(...page.json.events.map((e: { id: string; storedIn: string }) => ({ id: e.id, storedIn: e.storedIn })));
    if (page.json.next) query = { ...base, cursor: page.json.next };
    else if (page.json.archive?.start) {
      const href = new URL(page.json.archive.start.href, 'http://api');
      const started = await api.call('POST /entities/{type}/{id}/events/archive', {
        user: 'ann',
        pathParameters,
        query: Object.fromEntries(href.searchParams),
      });
      expect(started.status).toBe(202);
      query = { ...base, cursor: started.json.next };
    } else return served;
  }
  throw new Error('the walk does not end');
}

beforeAll(async () => {
  db = await createTestDatabase('hide_own_audit');
  reader = createPool({ connectionString: db.readerUrl, max: 2 });
  dir = await mkdtemp(join(tmpdir(), 'hide-own-audit-'));
  const store = new FileObjectStore(join(dir, 'archive'));
  await insertEvents(db.pool, events);
  api = queryApi(reader, () => NOW, {
    archiveJobs: new LocalArchiveJobs(() => openLocalArchiveQuery(store.root, join(dir, 'query'))),
  });
});

afterAll(async () => {
  await reader?.end();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('hideOwnAudit into the archive', () => {
  it("serves the same history once its months are archived: never the reader's own audit records", async () => {
    const expected = events
      .filter((e) => !(e.type.startsWith('audit.') && e.actor.id === 'ann'))
      .map((e) => e.id)
      .reverse();
    const hot = await walk();
    expect(hot.map((e) => e.id)).toEqual(expected);

    const result = await runMaintenance(
      { pool: db.pool, store: new FileObjectStore(join(dir, 'archive')) },
      { now: new Date('2025-04-15T00:00:00Z'), retentionMonths: 13, premakeMonths: 0, workDir: join(dir, 'work') },
    );
    expect(result.dropped).toEqual(['2024-01', '2024-02']);
    const cold = await walk();
    expect(cold.filter((e) => e.storedIn === 'archive').length).toBeGreaterThan(0);
    expect(cold.map((e) => e.id)).toEqual(expected);
  });
});
