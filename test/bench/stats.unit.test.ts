import { describe, expect, it } from 'vitest';
import { percentile, rate, ratio, summarize } from '../../bench/stats.ts';

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('returns an observed sample at the rank ceil(p/100 × n)', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 95)).toBe(95);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile([1, 2, 3], 50)).toBe(2);
    expect(percentile([10, 20], 95)).toBe(20);
  });

  it('handles a single sample', () => {
    expect(percentile([7], 1)).toBe(7);
    expect(percentile([7], 99)).toBe(7);
  });

  it('refuses no samples and percentiles outside (0, 100]', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe('summarize', () => {
  it('sorts unsorted samples and rounds to hundredths', () => {
    const samples = [5.555, 1, 3, 2, 4];
    expect(summarize(samples)).toEqual({ count: 5, p50: 3, p95: 5.56, p99: 5.56, max: 5.56, mean: 3.11 });
    expect(samples[0]).toBe(5.555);
  });
});

describe('ratio and rate', () => {
  it('divides, rounded, and is null when a side was not measured', () => {
    expect(ratio(19_917, 29_197)).toBe(0.68);
    expect(ratio(null, 10)).toBeNull();
    expect(ratio(10, null)).toBeNull();
    expect(ratio(10, 0)).toBeNull();
  });

  it('gives whole rows per second', () => {
    expect(rate(1000, 400)).toBe(2500);
    expect(rate(5, 0)).toBe(0);
  });
});
