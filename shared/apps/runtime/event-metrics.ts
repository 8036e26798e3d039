import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { EVENT_METRICS } from '../../core/contracts/metrics.ts';
import type { StoredEvent } from '../../core/domain/event.ts';
import { bareSingleMetric } from './single-metric.ts';

/** Counts events by a key (severity, type). */
export function countBy<K>(events: readonly StoredEvent[], key: (event: StoredEvent) => K): Map<K, number> {
  const counts = new Map<K, number>();
  for (const event of events) counts.set(key(event), (counts.get(key(event)) ?? 0) + 1);
  return counts;
}

/**
 * Emits the stored events as `Events{severity}` and `EventsByType{type}`, each its own EMF metric without the default
 * `service` dimension, so the CRITICAL alarm watches exactly `Events` with `severity=CRITICAL` and the dashboard can
 * SEARCH every type without listing them.
 */
export function emitEventMetrics(metrics: Metrics, events: readonly StoredEvent[]): void {
  const series = [
    [EVENT_METRICS.bySeverity, countBy(events, (event) => event.severity)],
    [EVENT_METRICS.byType, countBy(events, (event) => event.type)],
  ] as const;
  const single = bareSingleMetric(metrics);
  for (const [metric, counts] of series) {
    for (const [value, count] of counts) {
      single.addDimension(metric.dimension, value);
      single.addMetric(metric.name, MetricUnit.Count, count);
    }
  }
}
