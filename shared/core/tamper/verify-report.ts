import type { Metrics } from '@aws-lambda-powertools/metrics';
import { VERIFICATION_METRICS } from '../contracts/metrics.ts';
import { describeFinding } from './findings.ts';
import type { VerificationReport } from './verify.ts';

/** The findings, one line each, the first divergence first, and what the bound left out. */
export function findingLines(report: VerificationReport): string[] {
  const lines = report.findings.map(describeFinding);
  if (report.omitted > 0) lines.push(`… and ${report.omitted} more findings`);
  return lines;
}

/** One line: what was checked, and the verdict. */
export function verificationSummary(report: VerificationReport): string {
  const c = report.checked;
  const rows = [
    report.mode !== 'archive-only' && `${counted(c.databaseRows, 'PostgreSQL row')}`,
    report.mode !== 'database-only' &&
      `${counted(c.archivedRows, 'archived row')} (${counted(c.archivedFiles, 'file')})`,
  ].filter(Boolean);
  const notes = [
    c.pending > 0 && `${c.pending} events not sealed yet`,
    c.notYetCopied > 0 && `${c.notYetCopied} newest checkpoints not in the archive yet`,
    c.unfinishedArchivals > 0 && `${c.unfinishedArchivals} files of an archival under way left to PostgreSQL`,
    !report.complete && 'stopped before the end (out of time)',
  ].filter(Boolean);
  const count = report.findings.length + report.omitted;
  const verdict = count === 0 ? 'no divergence' : counted(count, 'finding');
  return (
    `verify (${report.mode}): ${counted(c.checkpoints, 'checkpoint')}, ${counted(c.leaves, 'leaf', 'leaves')} ` +
    `against ${counted(c.roots, 'signed root')}, ` +
    `${rows.join(' and ')} recomputed${notes.length ? `; ${notes.join('; ')}` : ''}: ${verdict}`
  );
}

const counted = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** VerificationFailures: the findings of a scheduled verification, 0 when clean; an alarm watches it. */
export function recordVerificationMetrics(metrics: Metrics, report: VerificationReport): void {
  metrics.addMetric(VERIFICATION_METRICS.failures, 'Count', report.findings.length + report.omitted);
}
