import { describe, expect, it } from 'vitest';
import type { ArchivedRow } from '../../shared/core/archive/archived-event.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import type { ArchiveJobState, ArchiveJobs } from '../../shared/core/ports/archive-jobs.ts';
import type { QueryStore } from '../../shared/core/ports/query.ts';
import { walkAll, walkPage } from '../../shared/core/query/history-walk.ts';
import type { WalkState } from '../../shared/core/query/page-cursor.ts';
import { eventAbout } from '../support/events.ts';

const filter = {
  entity: { type: 'robot', id: 'w-1' },
  since: new Date('2000-01-01T00:00:00Z'),
  until: new Date('2026-01-01T00:00:00Z'),
};
const ev = (occurredAt: string, id: string) =>
  eventAbout('robot:w-1', {
    occurredAt,
    receivedAt: occurredAt,
    id: `0196b3a0-0000-7000-8000-${id.padStart(12, '0')}`,
  });
const newestFirst = (a: StoredEvent, b: StoredEvent) =>
  a.occurredAt === b.occurredAt ? (a.id < b.id ? 1 : -1) : a.occurredAt < b.occurredAt ? 1 : -1;

/** PostgreSQL as a sorted list, paged by keyset as the store pages it. */
function store(events: StoredEvent[], archivedMonths = [{ year: 2025, month: 1 }]): QueryStore {
  const sorted = [...events].sort(newestFirst);
  return {
    async page(f, { limit, after }) {
      const rows = sorted.filter(
        (e) =>
          e.occurredAt >= f.since.toISOString() &&
          e.occurredAt < f.until.toISOString() &&
          (!after || newestFirst(e, { ...e, occurredAt: after.occurredAt, id: after.id }) > 0),
      );
      return { events: rows.slice(0, limit), hasMore: rows.length > limit };
    },
    stats: async () => [],
    totals: async () => [],
    archivedMonths: async () => archivedMonths,
    statsCoverage: async () => ({ archivedMonths, completeFrom: null }),
  };
}

/** The archive as a job whose results come `pageSize` rows per token, in the scan's order. */
function jobs(rows: StoredEvent[], states: ArchiveJobState[] = [{ state: 'succeeded' }], pageSize = 2): ArchiveJobs {
  const archived: ArchivedRow[] = [...rows].sort(newestFirst).map((e) => ({
    id: e.id,
    type: e.type,
    severity: e.severity,
    occurred_at: e.occurredAt,
    received_at: e.receivedAt,
    entity_type: e.entity.type,
    entity_id: e.entity.id,
    related: JSON.stringify(e.related),
    actor: `${e.actor.type}:${e.actor.id}`,
    source_channel: e.source.channel,
    source_principal: e.source.principal,
    source_client_id: null,
    source_ip: null,
    payload: JSON.stringify(e.payload),
    trace_id: null,
    span_id: null,
    causation_id: null,
  }));
  return {
    start: async () => 'job-1',
    status: async () => states.shift() ?? { state: 'succeeded' },
    async read(_job, _scan, token, max) {
      const from = token ? Number(token) : 0;
      const size = Math.min(max, pageSize);
      const next = from + size < archived.length ? String(from + size) : undefined;
      return { rows: archived.slice(from, from + size), ...(next && { next }) };
    },
  };
}

const ids = (events: { id: string }[]) => events.map((e) => e.id.slice(-3));

describe('the walk from PostgreSQL into the archive', () => {
  const hot = [ev('2025-03-01T00:00:00.000Z', '301'), ev('2025-02-01T00:00:00.000Z', '201')];
  const late = ev('2025-01-20T00:00:00.000Z', '120');
  const cold = [
    ev('2025-01-25T00:00:00.000Z', '125'),
    ev('2025-01-10T00:00:00.000Z', '110'),
    ev('2025-01-10T00:00:00.000Z', '109'),
    ev('2024-12-01T00:00:00.000Z', '001'),
  ];

  it('serves PostgreSQL down to the end of the newest archived month, then points at the archive', async () => {
    const page = await walkPage(
      { store: store([...hot, late]), archiveJobs: jobs(cold) },
      filter,
      'desc',
      undefined,
      5,
    );
    expect(ids(page.events)).toEqual(['301', '201']);
    expect(page.next).toBeUndefined();
    expect(page.archive).toMatchObject({
      months: ['2025-01'],
      state: 'available',
      start: { phase: 'archive', from: { occurredAt: '2025-02-01T00:00:00.000Z' } },
    });
  });

  it('merges late PostgreSQL rows and archived ones in order, each once, at any page size', async () => {
    // The month of 110 is archived and still in PostgreSQL too (not dropped yet); 109 ties 110's instant.
    const pg = [...hot, late, cold[1]!];
    for (const size of [1, 2, 3, 10]) {
      const walked = [];
      for await (const e of walkAll({ store: store(pg), archiveJobs: jobs(cold) }, filter, size)) walked.push(e);
      expect(ids(walked), `page size ${size}`).toEqual(['301', '201', '125', '120', '110', '109', '001']);
      expect(walked.find((e) => e.id.endsWith('110'))?.storedIn).toBe('postgres');
      expect(walked.find((e) => e.id.endsWith('120'))?.storedIn).toBe('postgres');
      expect(walked.find((e) => e.id.endsWith('125'))?.storedIn).toBe('archive');
    }
  });

  it('serves an event archived in two generations once', async () => {
    const walked = [];
    const twice = [...cold, cold[0]!];
    for await (const e of walkAll({ store: store(hot), archiveJobs: jobs(twice, undefined, 1) }, filter, 2))
      walked.push(e);
    expect(ids(walked)).toEqual(['301', '201', '125', '110', '109', '001']);
  });

  it('answers an empty page and the same state while the job runs, and the reason when it fails', async () => {
    const state: WalkState = { phase: 'archive', job: 'job-1' };
    const archiveJobs = jobs(cold, [
      { state: 'running' },
      { state: 'failed', reason: 'Bytes scanned limit was exceeded' },
    ]);
    const running = await walkPage({ store: store(hot), archiveJobs }, filter, 'desc', state, 5);
    expect(running).toMatchObject({ events: [], next: state, archive: { state: 'running', job: 'job-1' } });
    const failed = await walkPage({ store: store(hot), archiveJobs }, filter, 'desc', state, 5);
    expect(failed).toMatchObject({
      events: [],
      archive: { state: 'failed', reason: 'Bytes scanned limit was exceeded' },
    });
    expect(failed.next).toBeUndefined();
  });

  it('reads PostgreSQL alone when no archived month overlaps the window, and says when the archive cannot be read', async () => {
    const recent = { ...filter, since: new Date('2025-02-15T00:00:00Z') };
    expect(await walkPage({ store: store(hot) }, recent, 'desc', undefined, 5)).toEqual({
      events: [expect.objectContaining({ storedIn: 'postgres' })],
    });
    const page = await walkPage({ store: store(hot) }, filter, 'desc', undefined, 5);
    expect(page.archive).toEqual({ months: ['2025-01'], state: 'unavailable' });
  });
});
