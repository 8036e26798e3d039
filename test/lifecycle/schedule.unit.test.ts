import { describe, expect, it } from 'vitest';
import { MAINTENANCE_SCHEDULE } from '../../infra/constructs/lifecycle.ts';
import { nextScheduledRun } from '../../shared/core/lifecycle/schedule.ts';

describe('the next scheduled maintenance, from the EventBridge expression', () => {
  it("is today's run while it is ahead, else tomorrow's (UTC)", () => {
    const daily = 'cron(45 4 * * ? *)';
    expect(nextScheduledRun(daily, new Date('2026-12-01T03:00:00Z'))?.toISOString()).toBe('2026-12-01T04:45:00.000Z');
    expect(nextScheduledRun(daily, new Date('2026-12-01T04:45:00Z'))?.toISOString()).toBe('2026-12-02T04:45:00.000Z');
    expect(nextScheduledRun(daily, new Date('2026-12-31T10:00:00Z'))?.toISOString()).toBe('2027-01-01T04:45:00.000Z');
    expect(nextScheduledRun('cron(0 23 ? * * *)', new Date('2026-12-01T22:59:59Z'))?.toISOString()).toBe(
      '2026-12-01T23:00:00.000Z',
    );
  });

  it('reads the schedule infra gives the maintenance rule', () => {
    expect(nextScheduledRun(MAINTENANCE_SCHEDULE, new Date('2026-12-01T10:00:00Z'))).not.toBeNull();
  });

  it('is not known (null) for a rate, a cron with days, lists or steps, or anything else', () => {
    const now = new Date('2026-12-01T10:00:00Z');
    for (const expression of [
      'rate(1 day)',
      'cron(45 4 ? * MON *)',
      'cron(0 4 1 * ? *)',
      'cron(0,30 4 * * ? *)',
      'cron(0/15 * * * ? *)',
      'cron(60 4 * * ? *)',
      'cron(0 24 * * ? *)',
      'at(2026-12-01T10:00:00)',
      '',
    ])
      expect(nextScheduledRun(expression, now), expression).toBeNull();
  });
});
