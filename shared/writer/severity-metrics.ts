import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { StoredEvent } from '../domain/event.ts';
import type { Severity } from '../domain/severity.ts';

/** Counts stored events per severity. */
export function countBySeverity(events: readonly StoredEvent[]): Map<Severity, number> {
  const counts = new Map<Severity, number>();
  for (const event of events) counts.set(event.severity, (counts.get(event.severity) ?? 0) + 1);
  return counts;
}

/**
 * Emits `Events{severity}` as its own EMF metric per severity, without the default `service` dimension, so the
 * CRITICAL alarm watches exactly `Events` with `severity=CRITICAL`.
 */
export function emitSeverityMetrics(metrics: Metrics, events: readonly StoredEvent[]): void {
  for (const [severity, count] of countBySeverity(events)) {
    const single = metrics.singleMetric();
    single.clearDefaultDimensions();
    single.addDimension('severity', severity);
    single.addMetric('Events', MetricUnit.Count, count);
  }
}
