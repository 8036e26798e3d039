import { describe, expect, it } from 'vitest';
import {
  addMonths,
  compareMonths,
  formatMonth,
  monthBounds,
  monthOf,
  monthRange,
  parsePartitionName,
  partitionName,
} from '../../shared/core/domain/month.ts';

describe('monthOf: UTC calendar month of an instant', () => {
  it('an event at 2026-05-31T23:30:00-02:00 belongs to June', () => {
    const month = monthOf(new Date('2026-05-31T23:30:00-02:00'));
    expect(month).toEqual({ year: 2026, month: 6 });
    expect(partitionName(month)).toBe('events_2026_06');
  });

  it('an event at 2026-06-01T00:30:00+02:00 belongs to May', () => {
    expect(partitionName(monthOf(new Date('2026-06-01T00:30:00+02:00')))).toBe('events_2026_05');
  });

  it('the first and last millisecond of a month', () => {
    expect(monthOf(new Date('2026-05-01T00:00:00.000Z'))).toEqual({ year: 2026, month: 5 });
    expect(monthOf(new Date('2026-05-31T23:59:59.999Z'))).toEqual({ year: 2026, month: 5 });
  });

  it('New Year in UTC, not local time', () => {
    expect(monthOf(new Date('2026-12-31T23:59:59.999Z'))).toEqual({ year: 2026, month: 12 });
    expect(monthOf(new Date('2026-12-31T20:00:00-05:00'))).toEqual({ year: 2027, month: 1 });
  });
});

describe('addMonths', () => {
  it('moves within a year', () => {
    expect(addMonths({ year: 2026, month: 5 }, 1)).toEqual({ year: 2026, month: 6 });
    expect(addMonths({ year: 2026, month: 5 }, 0)).toEqual({ year: 2026, month: 5 });
  });

  it('crosses year boundaries both ways', () => {
    expect(addMonths({ year: 2026, month: 12 }, 1)).toEqual({ year: 2027, month: 1 });
    expect(addMonths({ year: 2027, month: 1 }, -1)).toEqual({ year: 2026, month: 12 });
    expect(addMonths({ year: 2026, month: 11 }, 14)).toEqual({ year: 2028, month: 1 });
    expect(addMonths({ year: 2026, month: 2 }, -26)).toEqual({ year: 2023, month: 12 });
    expect(addMonths({ year: 2026, month: 5 }, -120)).toEqual({ year: 2016, month: 5 });
  });
});

describe('compareMonths', () => {
  it('orders by year then month', () => {
    expect(compareMonths({ year: 2026, month: 1 }, { year: 2025, month: 12 })).toBeGreaterThan(0);
    expect(compareMonths({ year: 2025, month: 12 }, { year: 2026, month: 1 })).toBeLessThan(0);
    expect(compareMonths({ year: 2026, month: 5 }, { year: 2026, month: 5 })).toBe(0);
  });
});

describe('monthRange', () => {
  it('includes both ends and crosses the year', () => {
    expect(monthRange({ year: 2025, month: 11 }, { year: 2026, month: 2 })).toEqual([
      { year: 2025, month: 11 },
      { year: 2025, month: 12 },
      { year: 2026, month: 1 },
      { year: 2026, month: 2 },
    ]);
  });

  it('a single month, and empty when reversed', () => {
    expect(monthRange({ year: 2026, month: 5 }, { year: 2026, month: 5 })).toEqual([{ year: 2026, month: 5 }]);
    expect(monthRange({ year: 2026, month: 1 }, { year: 2025, month: 12 })).toEqual([]);
  });
});

describe('monthBounds: half-open UTC range', () => {
  it('a 31-day month', () => {
    const { start, end } = monthBounds({ year: 2026, month: 5 });
    expect(start.toISOString()).toBe('2026-05-01T00:00:00.000Z');
    expect(end.toISOString()).toBe('2026-06-01T00:00:00.000Z');
  });

  it('December ends at the next New Year', () => {
    const { start, end } = monthBounds({ year: 2026, month: 12 });
    expect(start.toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(end.toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('February in a leap year', () => {
    expect(monthBounds({ year: 2028, month: 2 }).end.toISOString()).toBe('2028-03-01T00:00:00.000Z');
  });

  it('consecutive months tile time without gaps or overlaps', () => {
    const months = monthRange({ year: 2025, month: 10 }, { year: 2026, month: 3 });
    for (let i = 1; i < months.length; i++) {
      expect(monthBounds(months[i]!).start.getTime()).toBe(monthBounds(months[i - 1]!).end.getTime());
    }
  });

  it('an instant is inside the bounds of its own month', () => {
    const instant = new Date('2026-05-31T23:30:00-02:00');
    const { start, end } = monthBounds(monthOf(instant));
    expect(start.getTime()).toBeLessThanOrEqual(instant.getTime());
    expect(instant.getTime()).toBeLessThan(end.getTime());
  });
});

describe('partition names', () => {
  it('pads the month', () => {
    expect(partitionName({ year: 2026, month: 5 })).toBe('events_2026_05');
    expect(partitionName({ year: 2026, month: 12 })).toBe('events_2026_12');
  });

  it('round-trip through parsePartitionName', () => {
    for (const month of monthRange({ year: 2025, month: 1 }, { year: 2026, month: 12 })) {
      expect(parsePartitionName(partitionName(month))).toEqual(month);
    }
  });

  it('parsePartitionName rejects other tables and impossible months', () => {
    for (const name of [
      'events',
      'events_2026_13',
      'events_2026_00',
      'events_2026_5',
      'events_2026_05_old',
      'x_events_2026_05',
    ]) {
      expect(parsePartitionName(name)).toBeUndefined();
    }
  });

  it('formatMonth', () => {
    expect(formatMonth({ year: 2026, month: 5 })).toBe('2026-05');
  });
});
