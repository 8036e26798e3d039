import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import { monthEvents } from '../lifecycle/fixture.ts';
import { dropTrail, type SealedTrail, sealedTrail } from './sealed-trail.ts';

/**
 * No false alarm: a clean trail verifies clean at every step of its life — sealed, with events not sealed yet, after
 * maintenance makes partitions, after a month is archived (its rows then in Parquet only), after late events for
 * that month arrive and are archived as its next generation, after empty rounds — from PostgreSQL and the archive,
 * and from the archive alone.
 */
let trail: SealedTrail;
const JAN = { year: 2024, month: 1 };
const FEB = { year: 2024, month: 2 };
const MAR = { year: 2024, month: 3 };

beforeAll(async () => {
  trail = await sealedTrail('verify_clean');
});
afterAll(async () => {
  if (trail) await dropTrail(trail);
});

const expectClean = async (options: { archiveOnly?: boolean } = {}) => {
  const report = await trail.verify(options);
  expect(report.findings).toEqual([]);
  expect(report).toMatchObject({ ok: true, complete: true });
  return report;
};

describe('verification of a clean trail', () => {
  it('an empty log: the first checkpoints, no event yet', async () => {
    await trail.seal();
    const report = await expectClean();
    expect(report.checked).toMatchObject({ checkpoints: 1, treeSize: 0, leaves: 0 });
  });

  it('three months of events, sealed', async () => {
    for (const month of [JAN, FEB, MAR]) await trail.write(monthEvents(month, 60, 'clean'));
    await trail.seal();
    const report = await expectClean();
    expect(report.checked).toMatchObject({ treeSize: 180, leaves: 180, databaseRows: 180, pending: 0 });
    expect(report.checked.roots).toBeGreaterThanOrEqual(2);
    expect((await expectClean({ archiveOnly: true })).checked).toMatchObject({ leaves: 180, databaseRows: 0 });
  });

  it('with events written and not sealed yet: the pending tail', async () => {
    const late: StoredEvent[] = monthEvents(MAR, 5, 'pending');
    await trail.write(late);
    const report = await expectClean();
    expect(report.checked.pending).toBe(5);
    await trail.seal();
    expect((await expectClean()).checked).toMatchObject({ treeSize: 185, pending: 0 });
  });

  it('after maintenance makes partitions and archives January and February: their rows are read from Parquet', async () => {
    const result = await trail.maintain('2024-04-15T08:00:00Z');
    expect(result.status).toBe('done');
    expect(result.created.map((c) => c.month)).toEqual(['2024-04', '2024-05']);
    expect(result.archived.map((a) => [a.month, a.rows])).toEqual([
      ['2024-01', 60],
      ['2024-02', 60],
    ]);
    const report = await expectClean();
    expect(report.checked).toMatchObject({ leaves: 185, databaseRows: 65, archivedRows: 120, archivedFiles: 2 });
    expect((await expectClean({ archiveOnly: true })).checked).toMatchObject({ leaves: 185, archivedRows: 120 });
  });

  it('late events for January, sealed while it is archived, then archived as its second generation', async () => {
    await trail.write(monthEvents(JAN, 4, 'late'));
    await trail.seal();
    expect((await expectClean()).checked).toMatchObject({ leaves: 189, databaseRows: 69, archivedRows: 120 });
    const result = await trail.maintain('2024-04-16T08:00:00Z');
    expect(result.archived.map((a) => [a.month, a.generation, a.rows])).toEqual([['2024-01', 2, 4]]);
    expect((await expectClean()).checked).toMatchObject({ databaseRows: 65, archivedRows: 124, archivedFiles: 3 });
  });

  it('after empty rounds, and as an auditor sees it from the archive alone', async () => {
    for (let i = 0; i < 3; i++) await trail.seal();
    const report = await expectClean();
    expect(report.checked).toMatchObject({ treeSize: 189, pending: 0 });
    expect((await expectClean({ archiveOnly: true })).checked).toMatchObject({ leaves: 189, archivedRows: 124 });
  });
});
