import { describe, expect, it } from 'vitest';
import { buildSummary, evaluateTargets, formatFigure, markdownReport, SUMMARY_KEYS } from '../../bench/report.ts';
import type { PartResult } from '../../bench/types.ts';

const measured = (figures: PartResult['figures'], notes: string[] = []): PartResult => ({
  status: 'measured',
  figures,
  notes,
});

describe('buildSummary', () => {
  it('has every summary key, null where no part measured it, and maps the hourly p95', () => {
    const summary = buildSummary({
      writer: measured({ copy_rows_per_s: 30_000, writer_vs_copy: 0.68, naive_vs_copy: 0.05 }),
      queries: measured({ rows: 200_000, hourly_counts_30d_p95_ms: 31.3, entity_history_p95_ms: 9 }),
      archive: { status: 'pending', figures: { parquet_vs_csv_bytes: null }, notes: ['comes with issue 4'] },
    });
    expect(Object.keys(summary)).toEqual([...SUMMARY_KEYS]);
    expect(summary).toMatchObject({
      writer_vs_copy: 0.68,
      naive_vs_copy: 0.05,
      e2e_vs_copy: null,
      hourly_counts_30d_ms: 31.3,
      entity_history_p95_ms: 9,
      parquet_vs_csv_bytes: null,
      max_writer_stall_ms: null,
      rows: 200_000,
    });
  });
});

describe('evaluateTargets', () => {
  const summary = buildSummary({
    writer: measured({ writer_vs_copy: 0.8 }),
    e2e: measured({ e2e_vs_copy: 0.13 }),
    queries: measured({ rows: 2_000_000, entity_history_p95_ms: 25, critical_24h_p95_ms: 1 }),
  });
  const byFigure = Object.fromEntries(evaluateTargets(summary).map((t) => [t.figure, t]));

  it('passes at the threshold, misses beyond it, and is null when not measured', () => {
    expect(byFigure['writer_vs_copy']).toMatchObject({ pass: true, target: '≥ 0.8' });
    expect(byFigure['e2e_vs_copy']!.pass).toBe(false);
    expect(byFigure['entity_history_p95_ms']).toMatchObject({ pass: false, target: '≤ 20' });
    expect(byFigure['critical_24h_p95_ms']!.pass).toBe(true);
    expect(byFigure['max_writer_stall_ms']).toMatchObject({ value: null, pass: null });
  });

  it('says when a query goal stated for 10M rows was measured on fewer', () => {
    expect(byFigure['entity_history_p95_ms']!.note).toBe(
      'measured at 2,000,000 rows; the goal is stated for 10,000,000',
    );
    expect(byFigure['writer_vs_copy']!.note).toBeUndefined();
  });

  it('says why the archive export misses COPY TO CSV by design, only when it misses', () => {
    const archive = (archive_vs_copy_csv: number) =>
      evaluateTargets(buildSummary({ archive: measured({ archive_vs_copy_csv }) })).find(
        (t) => t.figure === 'archive_vs_copy_csv',
      )!;
    expect(archive(0.4)).toMatchObject({ pass: false, note: expect.stringContaining('runs COPY TO CSV') });
    expect(archive(1.2).note).toBeUndefined();
  });
});

describe('markdownReport', () => {
  it('lists every figure, the goals with their verdicts, and the notes', () => {
    const parts = {
      writer: measured({ copy_rows_per_s: 29_197, writer_vs_copy: 0.68 }, ['one connection']),
      maintenance: {
        status: 'pending' as const,
        figures: { max_writer_stall_ms: null },
        notes: ['comes with issue 4'],
      },
    };
    const text = markdownReport(parts, evaluateTargets(buildSummary(parts)));
    expect(text).toContain('| writer | copy_rows_per_s | 29,197 |');
    expect(text).toContain('| maintenance | max_writer_stall_ms | — |');
    expect(text).toContain('| writer ingest vs COPY | ≥ 0.8 | 0.68 | MISS |');
    expect(text).toContain('| longest writer stall (ms) | ≤ 100 | — | not measured |');
    expect(text).toContain('- maintenance: comes with issue 4');
  });

  it('formats integers with separators and keeps fractions as they are', () => {
    expect(formatFigure(2_000_000)).toBe('2,000,000');
    expect(formatFigure(0.68)).toBe('0.68');
    expect(formatFigure(null)).toBe('—');
  });
});
