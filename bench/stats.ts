/** Latency summary of one timed loop, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile (p in (0, 100]) of ascending samples: always a value that was actually observed. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no samples');
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[rank - 1]!;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50), 2),
    p95: round(percentile(sorted, 95), 2),
    p99: round(percentile(sorted, 99), 2),
    max: round(sorted.at(-1)!, 2),
    mean: round(sorted.reduce((sum, x) => sum + x, 0) / sorted.length, 2),
  };
}

/** a / b, or null when either side was not measured (a part skipped, or nothing to divide by). */
export function ratio(a: number | null | undefined, b: number | null | undefined, digits = 2): number | null {
  if (a == null || b == null || b === 0) return null;
  return round(a / b, digits);
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Rows per second, whole. */
export function rate(rows: number, milliseconds: number): number {
  return milliseconds > 0 ? Math.round((rows * 1000) / milliseconds) : 0;
}
