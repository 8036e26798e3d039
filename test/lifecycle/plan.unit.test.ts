import { describe, expect, it } from 'vitest';
import { describePlan, planMaintenance } from '../../shared/core/lifecycle/plan.ts';

const month = (year: number, m: number) => ({ year, month: m });

describe('the maintenance plan (trail maintain --dry-run)', () => {
  it('creates the missing months ahead and archives the expired and the unfinished, once each, oldest first', () => {
    const plan = planMaintenance(
      { attached: [month(2025, 1), month(2025, 2), month(2026, 3)], unfinished: [month(2025, 1), month(2024, 12)] },
      { now: new Date('2026-03-15T00:00:00Z'), premakeMonths: 2, retentionMonths: 13 },
    );
    expect(plan).toEqual({
      now: '2026-03-15T00:00:00.000Z',
      create: ['2026-04', '2026-05'],
      archive: ['2024-12', '2025-01'],
    });
    expect(describePlan(plan, 'file:///a', 13)).toEqual([
      'dry run as of 2026-03-15T00:00:00.000Z: nothing is changed',
      'would create partitions: 2026-04, 2026-05',
      'would archive to file:///a, verify, then detach and drop: 2024-12, 2025-01',
    ]);
  });

  it('archives nothing when RETENTION_MONTHS is 0', () => {
    const plan = planMaintenance(
      { attached: [month(2000, 1)], unfinished: [] },
      { now: new Date('2026-03-15T00:00:00Z'), premakeMonths: 0, retentionMonths: 0 },
    );
    expect(plan.archive).toEqual([]);
    expect(describePlan(plan, 'file:///a', 0)[2]).toBe('would archive nothing: RETENTION_MONTHS=0 keeps every month');
  });
});
