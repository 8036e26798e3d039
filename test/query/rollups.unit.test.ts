import { describe, expect, it } from 'vitest';
import { archivedMonthsOf, bucketCount, planStats, splitLevels } from '../../shared/core/query/rollups.ts';

const d = (iso: string) => new Date(iso);

describe('planStats', () => {
  it('tiles whole months, days and hours, never coarser than the interval, raw rows at partial edges', () => {
    const plan = planStats(
      { since: d('2024-01-30T22:30Z'), until: d('2024-04-02T01:10Z') },
      { interval: 'month', groupBy: 'severity' },
      { archivedMonths: [], completeFrom: null },
    );
    expect(plan.basis).toBe('rollups');
    expect(plan.raw).toEqual([
      { since: d('2024-01-30T22:30Z'), until: d('2024-01-30T23:00Z') },
      { since: d('2024-04-02T01:00Z'), until: d('2024-04-02T01:10Z') },
    ]);
    expect(plan.levels.map((l) => [l.level, l.since.toISOString(), l.until.toISOString()])).toEqual([
      ['hour', '2024-01-30T23:00:00.000Z', '2024-01-31T00:00:00.000Z'],
      ['day', '2024-01-31T00:00:00.000Z', '2024-02-01T00:00:00.000Z'],
      ['month', '2024-02-01T00:00:00.000Z', '2024-04-01T00:00:00.000Z'],
      ['day', '2024-04-01T00:00:00.000Z', '2024-04-02T00:00:00.000Z'],
      ['hour', '2024-04-02T00:00:00.000Z', '2024-04-02T01:00:00.000Z'],
    ]);
    expect(plan.deltas).toEqual({ since: d('2024-01-30T23:00Z'), until: d('2024-04-02T01:00Z') });
    expect(splitLevels(d('2024-02-01T00:00Z'), d('2024-04-01T00:00Z'), 'hour')).toHaveLength(1);
  });

  it('leaves out, and names, the months before the rollups were complete', () => {
    const plan = planStats(
      { since: d('2023-11-15T00:00Z'), until: d('2024-02-01T00:00Z') },
      { interval: 'day', groupBy: 'type' },
      { archivedMonths: [], completeFrom: d('2024-01-01T00:00Z') },
    );
    expect(plan.archived).toEqual(['2023-11', '2023-12']);
    expect(plan.window).toEqual({ since: d('2024-01-01T00:00Z'), until: d('2024-02-01T00:00Z') });
  });

  it('sends entity, source, q, id, groupBy=entity and minutes to raw rows, naming why', () => {
    const coverage = { archivedMonths: [{ year: 2024, month: 1 }], completeFrom: null };
    const window = { since: d('2024-01-01T00:00Z'), until: d('2024-02-01T00:00Z') };
    expect(
      planStats(
        { ...window, entity: { type: 'robot', id: 'r-1' } },
        { interval: 'day', groupBy: 'severity' },
        coverage,
      ),
    ).toMatchObject({ basis: 'events', archived: ['2024-01'], reason: 'the entity filter needs raw rows' });
    expect(planStats(window, { interval: 'day', groupBy: 'entity' }, coverage).basis).toBe('events');
    expect(planStats(window, { interval: 'minute', groupBy: 'severity' }, coverage).basis).toBe('events');
  });

  it('counts calendar months as buckets', () => {
    expect(bucketCount({ since: d('2020-01-15T00:00Z'), until: d('2024-01-01T00:00Z') }, 'month')).toBe(48);
    expect(bucketCount({ since: d('2024-01-01T00:00Z'), until: d('2024-01-31T00:00Z') }, 'day')).toBe(30);
  });
});

describe('archivedMonthsOf (the report names them)', () => {
  const coverage = {
    archivedMonths: [
      { year: 2025, month: 12 },
      { year: 2026, month: 2 },
    ],
    completeFrom: null,
  };
  it("lists the window's archived months, in order, edges included", () => {
    const window = { since: new Date('2025-12-31T23:00:00Z'), until: new Date('2026-02-01T00:00:01Z') };
    expect(archivedMonthsOf(window, coverage)).toEqual(['2025-12', '2026-02']);
  });
  it('is empty when the window ends where an archived month starts', () => {
    const window = { since: new Date('2026-01-05T00:00:00Z'), until: new Date('2026-02-01T00:00:00Z') };
    expect(archivedMonthsOf(window, coverage)).toEqual([]);
  });
});
