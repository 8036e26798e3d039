import type { BenchOptions, PartName } from './args.ts';
import type { BenchServer } from './server.ts';

/** A measured number (rows/s, ms, a ratio), or null when the capability is not there to measure. */
export type Figure = number | null;

export interface PartResult {
  /** `pending`: the capability it measures has not landed yet (its figures are null). */
  status: 'measured' | 'pending' | 'skipped' | 'failed';
  /** Flat, unit in the name (`_rows_per_s`, `_ms`, `_vs_copy`), so the report and the summary can pick them by name. */
  figures: Record<string, Figure>;
  notes: string[];
  /** Anything worth keeping in the JSON that is not a headline figure (counts, sizes, per-query samples). */
  details?: Record<string, unknown>;
}

export interface BenchContext {
  options: BenchOptions;
  server: BenchServer;
  /** Progress, to stderr: stdout carries only the report. */
  log: (message: string) => void;
  /** `EXPLAIN (ANALYZE, BUFFERS)` sections for the run's plans file. */
  plans: string[];
  /** Parts already run: later parts take COPY's rate from the writer part of the same run. */
  results: Partial<Record<PartName, PartResult>>;
}

export type BenchPart = (ctx: BenchContext) => Promise<PartResult>;
