import type { PartName } from './args.ts';
import type { Figure, PartResult } from './types.ts';

/** The one-line summary the quick run ends with; null where a part did not run or does not exist yet. */
export const SUMMARY_KEYS = [
  'writer_vs_copy',
  'e2e_vs_copy',
  'naive_vs_copy',
  'entity_history_p95_ms',
  'entity_history_next_p95_ms',
  'entity_history_dormant_p95_ms',
  'entity_history_dormant_next_p95_ms',
  'critical_24h_p95_ms',
  'range_page_p95_ms',
  'next_page_p95_ms',
  'hourly_counts_30d_ms',
  'daily_counts_12m_ms',
  'archive_vs_copy_csv',
  'parquet_vs_csv_bytes',
  'max_writer_stall_ms',
  'seal_vs_writer',
  'proof_bytes',
  'proof_build_p95_ms',
  'verify_pg_rows_per_s',
  'verify_parquet_rows_per_s',
  'rows',
] as const;
export type Summary = Record<(typeof SUMMARY_KEYS)[number], Figure>;

/** Summary keys that are named differently among the parts' figures. */
const SUMMARY_SOURCES: Partial<Record<keyof Summary, string>> = {
  hourly_counts_30d_ms: 'hourly_counts_30d_p95_ms',
  daily_counts_12m_ms: 'daily_counts_12m_p95_ms',
};

export function buildSummary(parts: Partial<Record<PartName, PartResult>>): Summary {
  const figures: Record<string, Figure> = Object.assign({}, ...Object.values(parts).map((part) => part.figures));
  return Object.fromEntries(SUMMARY_KEYS.map((key) => [key, figures[SUMMARY_SOURCES[key] ?? key] ?? null])) as Summary;
}

interface Target {
  figure: keyof Summary;
  label: string;
  op: '>=' | '<=';
  threshold: number;
  /** The table size the goal is stated for; a run with fewer rows says so. */
  atRows?: number;
  /** Why a miss is expected of the design, said next to the miss. */
  whyMissed?: string;
}

/** The product's goals (issue 3; sealing: issue 13; history and rollups: issue 14). */
export const TARGETS: readonly Target[] = [
  { figure: 'writer_vs_copy', label: 'writer ingest vs COPY', op: '>=', threshold: 0.8 },
  { figure: 'e2e_vs_copy', label: 'end to end vs COPY', op: '>=', threshold: 0.5 },
  { figure: 'entity_history_p95_ms', label: 'entity history p95 (ms)', op: '<=', threshold: 20, atRows: 10_000_000 },
  // Issue 14: next pages, and an entity whose newest event is 11 months old (no window cap).
  {
    figure: 'entity_history_next_p95_ms',
    label: 'entity history next page p95 (ms)',
    op: '<=',
    threshold: 20,
    atRows: 10_000_000,
  },
  {
    figure: 'entity_history_dormant_p95_ms',
    label: 'entity history, newest event 11 months old, p95 (ms)',
    op: '<=',
    threshold: 20,
    atRows: 10_000_000,
  },
  {
    figure: 'entity_history_dormant_next_p95_ms',
    label: 'entity history, 11 months old, next page p95 (ms)',
    op: '<=',
    threshold: 20,
    atRows: 10_000_000,
  },
  { figure: 'critical_24h_p95_ms', label: 'CRITICAL last 24 h p95 (ms)', op: '<=', threshold: 20, atRows: 10_000_000 },
  {
    figure: 'range_page_p95_ms',
    label: 'type prefix + 7-day page p95 (ms)',
    op: '<=',
    threshold: 20,
    atRows: 10_000_000,
  },
  {
    figure: 'hourly_counts_30d_ms',
    label: 'hourly counts 30 d p95 (ms)',
    op: '<=',
    threshold: 30,
    atRows: 10_000_000,
  },
  // Issue 14: GET /stats from the rollups (migration 013).
  {
    figure: 'daily_counts_12m_ms',
    label: 'daily counts 12 months p95 (ms)',
    op: '<=',
    threshold: 50,
    atRows: 10_000_000,
  },
  {
    figure: 'archive_vs_copy_csv',
    label: 'archive export vs COPY TO CSV',
    op: '>=',
    threshold: 1,
    whyMissed: 'the export itself runs COPY TO CSV, then DuckDB writes ZSTD Parquet: it cannot be faster as designed',
  },
  { figure: 'parquet_vs_csv_bytes', label: 'Parquet vs CSV bytes', op: '<=', threshold: 0.2 },
  { figure: 'max_writer_stall_ms', label: 'longest writer stall (ms)', op: '<=', threshold: 100 },
  { figure: 'seal_vs_writer', label: 'sealing vs writer ingest', op: '>=', threshold: 1 },
];

export interface TargetResult {
  label: string;
  figure: string;
  target: string;
  value: Figure;
  /** null: not measured in this run. */
  pass: boolean | null;
  note?: string;
}

export function evaluateTargets(summary: Summary): TargetResult[] {
  return TARGETS.map((target) => {
    const value = summary[target.figure];
    const pass = value === null ? null : target.op === '>=' ? value >= target.threshold : value <= target.threshold;
    const rows = summary.rows;
    const notes = [
      value !== null && target.atRows !== undefined && rows !== null && rows < target.atRows
        ? `measured at ${formatFigure(rows)} rows; the goal is stated for ${formatFigure(target.atRows)}`
        : undefined,
      pass === false ? target.whyMissed : undefined,
    ].filter((text) => text !== undefined);
    const note = notes.join('; ');
    return {
      label: target.label,
      figure: target.figure,
      target: `${target.op === '>=' ? '≥' : '≤'} ${target.threshold}`,
      value,
      pass,
      ...(note && { note }),
    };
  });
}

export function formatFigure(value: Figure): string {
  if (value === null) return '—';
  return Number.isInteger(value) ? value.toLocaleString('en-US') : String(value);
}

function verdict(pass: boolean | null): string {
  return pass === null ? 'not measured' : pass ? 'pass' : 'MISS';
}

/** The Markdown the run prints at the end (and bench/README.md shows): every figure, then the goals. */
export function markdownReport(parts: Partial<Record<PartName, PartResult>>, targets: readonly TargetResult[]): string {
  const lines = ['| part | figure | value |', '|---|---|---|'];
  for (const [name, part] of Object.entries(parts)) {
    for (const [figure, value] of Object.entries(part.figures))
      lines.push(`| ${name} | ${figure} | ${formatFigure(value)} |`);
    if (Object.keys(part.figures).length === 0) lines.push(`| ${name} | (${part.status}) | — |`);
  }
  lines.push('', '| goal | target | measured | result |', '|---|---|---|---|');
  for (const t of targets) {
    const result = t.note ? `${verdict(t.pass)} (${t.note})` : verdict(t.pass);
    lines.push(`| ${t.label} | ${t.target} | ${formatFigure(t.value)} | ${result} |`);
  }
  const notes = Object.entries(parts).flatMap(([name, part]) => part.notes.map((note) => `- ${name}: ${note}`));
  if (notes.length > 0) lines.push('', ...notes);
  return lines.join('\n');
}
