import { describe, expect, it } from 'vitest';
import { parseInstant } from '../../shared/core/query/instant.ts';

const NOW = new Date('2026-05-10T12:00:00.000Z');

describe('parseInstant', () => {
  it('reads ISO-8601 with an offset, and dates, as instants', () => {
    expect(parseInstant('2026-05-01T00:00:00+02:00', NOW)?.toISOString()).toBe('2026-04-30T22:00:00.000Z');
    expect(parseInstant('2026-05-09T00:00:00Z', NOW)?.toISOString()).toBe('2026-05-09T00:00:00.000Z');
    expect(parseInstant('2026-05-01', NOW)?.toISOString()).toBe('2026-05-01T00:00:00.000Z');
  });

  it('reads 30m, 24h, 7d as that long before the clock', () => {
    expect(parseInstant('30m', NOW)?.toISOString()).toBe('2026-05-10T11:30:00.000Z');
    expect(parseInstant('24h', NOW)?.toISOString()).toBe('2026-05-09T12:00:00.000Z');
    expect(parseInstant('7d', NOW)?.toISOString()).toBe('2026-05-03T12:00:00.000Z');
    expect(parseInstant('0m', NOW)?.toISOString()).toBe(NOW.toISOString());
  });

  it('refuses anything else, including times without an offset and impossible dates', () => {
    for (const text of [
      'yesterday',
      '7w',
      '-1d',
      '1.5h',
      '2026-05-10T12:00:00',
      '2026-02-30T00:00:00Z',
      '1715342400',
      "'; DROP TABLE events; --",
    ]) {
      expect(parseInstant(text, NOW)).toBeUndefined();
    }
  });

  it('refuses a relative time too far back for a Date', () => {
    expect(parseInstant('1000000000d', NOW)).toBeUndefined();
    expect(parseInstant('99999999999999999999999h', NOW)).toBeUndefined();
  });
});
