import type { Metrics } from '@aws-lambda-powertools/metrics';

export interface PublishedMetric {
  dimensions: Record<string, string>;
  name: string;
  value: number;
  cleared: boolean;
}

/** A Powertools Metrics stand-in recording what each single metric would publish: its dimensions and its value. */
export function recordingMetrics() {
  const published: PublishedMetric[] = [];
  const metrics = {
    singleMetric() {
      const entry: PublishedMetric = { dimensions: { service: 'writer' }, name: '', value: 0, cleared: false };
      published.push(entry);
      return {
        clearDefaultDimensions() {
          entry.dimensions = {};
          entry.cleared = true;
        },
        addDimension(name: string, value: string) {
          entry.dimensions[name] = value;
        },
        addMetric(name: string, _unit: string, value: number) {
          entry.name = name;
          entry.value = value;
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
