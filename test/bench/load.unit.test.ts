import { describe, expect, it } from 'vitest';
import { createFleet, createRandom } from '../../bench/events.ts';
import { eventChunks } from '../../bench/load.ts';

describe('eventChunks', () => {
  const fleet = createFleet(50);
  const startMs = Date.UTC(2026, 8, 1);
  const endMs = Date.UTC(2026, 9, 1);
  const slice = (first: number, count: number) =>
    [...eventChunks(createRandom(1), fleet, { first, count, total: 2500, startMs, endMs })].flat();

  it('yields the slice in chunks of at most 1,000, ascending in time, inside the range', () => {
    const chunks = [...eventChunks(createRandom(1), fleet, { first: 0, count: 2500, total: 2500, startMs, endMs })];
    expect(chunks.map((chunk) => chunk.length)).toEqual([1000, 1000, 500]);
    const times = chunks.flat().map((event) => Date.parse(event.occurredAt));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(startMs);
    expect(Math.max(...times)).toBeLessThan(endMs);
  });

  it('gives each stream its own part of the range, so streams together cover it once', () => {
    const first = slice(0, 1250).map((event) => Date.parse(event.occurredAt));
    const second = slice(1250, 1250).map((event) => Date.parse(event.occurredAt));
    expect(Math.max(...first)).toBeLessThanOrEqual(Math.min(...second));
    expect(Math.max(...second) - startMs).toBeGreaterThan(0.99 * (endMs - startMs));
  });
});
