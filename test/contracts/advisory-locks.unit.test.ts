import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../shared/adapters/postgres/migrations/index.ts';
import { ADVISORY_LOCKS } from '../../shared/core/contracts/advisory-locks.ts';

/** The classids every migration's SQL passes to a pg_advisory_* function, by migration. */
function lockedInMigrations(): Record<string, number[]> {
  const taken: Record<string, number[]> = {};
  for (const migration of MIGRATIONS) {
    const classids = [...migration.sql.matchAll(/pg_(?:try_)?advisory_\w*lock\w*\(\s*(\d+)/g)].map((m) => Number(m[1]));
    if (classids.length) taken[migration.name] = classids;
  }
  return taken;
}

describe('advisory locks', () => {
  it('each guards one thing: no two share a classid', () => {
    const classids = Object.values(ADVISORY_LOCKS).map((lock) => lock.classid);
    expect(new Set(classids).size).toBe(classids.length);
  });

  it('the month partition lock is the one migration 003 takes, the roll-up lock the one 013 takes, and no other', () => {
    // Shipped migration SQL may not be edited (a checksum check refuses it), so it keeps the number written out.
    expect(lockedInMigrations()).toEqual({
      '003_month_partitions': [ADVISORY_LOCKS.monthPartition.classid],
      '013_event_counts': [ADVISORY_LOCKS.rollUp.classid],
    });
  });
});
