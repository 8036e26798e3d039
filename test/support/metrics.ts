import type { Metrics } from '@aws-lambda-powertools/metrics';

export interface PublishedMetric {
  dimensions: Record<string, string>;
  name: string;
  value: number;
  cleared: boolean;
}

/**
 * A Powertools Metrics stand-in recording what each single metric publishes, as Powertools does: every addMetric
 * publishes the dimensions set since the last one (plus `service` unless the defaults were cleared), then clears them.
 */
export function recordingMetrics() {
  const published: PublishedMetric[] = [];
  const metrics = {
    singleMetric() {
      let cleared = false;
      let dimensions: Record<string, string> = {};
      return {
        clearDefaultDimensions() {
          cleared = true;
        },
        addDimension(name: string, value: string) {
          dimensions[name] = value;
        },
        addMetric(name: string, _unit: string, value: number) {
          published.push({
            dimensions: { ...(cleared ? {} : { service: 'writer' }), ...dimensions },
            name,
            value,
            cleared,
          });
          dimensions = {};
        },
      };
    },
  } as unknown as Metrics;
  /** The published counts as `Events{severity=INFO}` → 2, taking everything out of the record. */
  const take = (): Record<string, number> => {
    const counts: Record<string, number> = {};
    for (const { name, dimensions, value } of published.splice(0)) {
      const key = `${name}{${Object.entries(dimensions)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}}`;
      counts[key] = (counts[key] ?? 0) + value;
    }
    return counts;
  };
  return { metrics, published, take };
}
