import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MAINTENANCE_METRICS } from '../contracts/metrics.ts';
import type { ContinuationOutcome } from './continuation.ts';
import type { MaintenanceResult } from './result.ts';

/** The run in a few lines a person reads: what was created, archived, dropped, skipped, and how long it took. */
export function describeMaintenance(result: MaintenanceResult): string[] {
  const lines = [`maintenance as of ${result.now}: ${result.status} in ${result.durationMs} ms`];
  if (result.created.length) lines.push(`created: ${result.created.map((c) => `${c.month} (${c.ms} ms)`).join(', ')}`);
  for (const a of result.archived)
    lines.push(`archived: ${a.month} generation ${a.generation}, ${a.rows} rows in ${a.files} files (${a.ms} ms)`);
  if (result.dropped.length) lines.push(`dropped: ${result.dropped.join(', ')}`);
  if (result.rolledUp) lines.push(`rolled up: ${result.rolledUp} event count deltas`);
  for (const d of result.securityLake?.derived ?? [])
    lines.push(
      `security lake: ${d.month} generation ${d.generation}, ${d.rows} rows in ${d.objects} objects (${d.ms} ms)`,
    );
  for (const f of result.securityLake?.failed ?? [])
    lines.push(`security lake: ${f.month} generation ${f.generation} failed, retried next run: ${f.error}`);
  if (result.securityLake?.waiting)
    lines.push(`security lake: ${result.securityLake.waiting} months wait for the next run (out of time)`);
  for (const s of result.skipped) lines.push(`skipped: ${s.what}: ${s.reason}`);
  if (result.error) lines.push(`error: ${result.error}`);
  return lines;
}

/** The run's metrics; an alarm on MaintenanceFailures makes a failed run loud. */
export function recordMaintenanceMetrics(metrics: Metrics, result: MaintenanceResult): void {
  metrics.addMetric(MAINTENANCE_METRICS.runs, 'Count', 1);
  metrics.addMetric(MAINTENANCE_METRICS.partitionsCreated, 'Count', result.created.length);
  metrics.addMetric(MAINTENANCE_METRICS.partitionsArchived, 'Count', result.archived.length);
  metrics.addMetric(MAINTENANCE_METRICS.failures, 'Count', result.status === 'failed' ? 1 : 0);
  if (result.securityLake) {
    metrics.addMetric(MAINTENANCE_METRICS.lakeExports, 'Count', result.securityLake.derived.length);
    metrics.addMetric(MAINTENANCE_METRICS.lakeExportFailures, 'Count', result.securityLake.failed.length);
  }
}

/**
 * What followed the run: a continuation asked for, or a chain stopped at its bound (alarmed: the month then waits
 * for the next daily run). Emitted as 0 or 1 on every run, like the run's own metrics.
 */
export function recordContinuationMetrics(metrics: Metrics, outcome: ContinuationOutcome): void {
  metrics.addMetric(MAINTENANCE_METRICS.continuations, 'Count', outcome.action === 'continued' ? 1 : 0);
  metrics.addMetric(MAINTENANCE_METRICS.continuationsStopped, 'Count', outcome.action === 'stopped' ? 1 : 0);
}
