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
});
