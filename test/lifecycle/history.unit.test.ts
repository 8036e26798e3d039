import { expect, it } from 'vitest';
import { type HistoryRow, mergeHistory } from '../../shared/apps/history.ts';

const row = (source: HistoryRow['source'], occurredAt: string, id: string): HistoryRow => ({
  source,
  occurredAt,
  id,
  type: 'robot.online',
  severity: 'INFO',
  actor: 'device:r-17',
  payload: '{}',
});

it('merges two newest-first lists into one, keeping an event found in both once, from PostgreSQL', () => {
  const pg = [row('postgres', '2025-03-02T00:00:00.000Z', 'b'), row('postgres', '2025-03-01T00:00:00.000Z', 'a')];
  const archive = [
    row('archive', '2025-03-01T00:00:00.000Z', 'a'),
    row('archive', '2025-02-01T00:00:00.000Z', 'z'),
    row('archive', '2025-01-01T00:00:00.000Z', 'y'),
  ];
  expect(mergeHistory(pg, archive).map((r) => `${r.source}:${r.id}`)).toEqual([
    'postgres:b',
    'postgres:a',
    'archive:z',
    'archive:y',
  ]);
  expect(mergeHistory([], archive)).toHaveLength(3);
  expect(mergeHistory(pg, [])).toHaveLength(2);
});
