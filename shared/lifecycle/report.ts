import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { MaintenanceResult } from './maintain.ts';

/** The run in a few lines a person reads: what was created, archived, dropped, skipped, and how long it took. */
export function describeMaintenance(result: MaintenanceResult): string[] {
  const lines = [`maintenance as of ${result.now}: ${result.status} in ${result.durationMs} ms`];
  if (result.created.length) lines.push(`created: ${result.created.map((c) => `${c.month} (${c.ms} ms)`).join(', ')}`);
  for (const a of result.archived)
    lines.push(`archived: ${a.month} generation ${a.generation}, ${a.rows} rows in ${a.files} files (${a.ms} ms)`);
  if (result.dropped.length) lines.push(`dropped: ${result.dropped.join(', ')}`);
  for (const s of result.skipped) lines.push(`skipped: ${s.what}: ${s.reason}`);
  if (result.error) lines.push(`error: ${result.error}`);
  return lines;
}

/** The run's metrics; an alarm on MaintenanceFailures makes a failed run loud. */
export function recordMaintenanceMetrics(metrics: Metrics, result: MaintenanceResult): void {
  metrics.addMetric('MaintenanceRuns', 'Count', 1);
  metrics.addMetric('PartitionsCreated', 'Count', result.created.length);
  metrics.addMetric('PartitionsArchived', 'Count', result.archived.length);
  metrics.addMetric('MaintenanceFailures', 'Count', result.status === 'failed' ? 1 : 0);
}
