import { describe, expect, it } from 'vitest';
import { PrometheusMetrics } from '../../shared/adapters/prometheus/prometheus-metrics.ts';
import { EMITTED_METRICS } from '../../shared/core/contracts/metrics.ts';
import { EMF_AS_PROMETHEUS } from '../../shared/core/contracts/prometheus.ts';
import { parseExposition, sampleOf } from '../support/exposition.ts';

const idleQueues = async () => ({
  events: { visible: 4, inFlight: 1, oldestAgeSeconds: 12.5 },
  deadLetters: { visible: 2, inFlight: 0 },
});

/** An EMF document as Powertools serializes one flush. */
const emf = (dimensions: Record<string, string>, metrics: Record<string, number | number[]>) => ({
  _aws: {
    Timestamp: 0,
    CloudWatchMetrics: [
      {
        Namespace: 'ns',
        Dimensions: [Object.keys(dimensions)],
        Metrics: Object.keys(metrics).map((Name) => ({ Name, Unit: 'Count' })),
      },
    ],
  },
  ...dimensions,
  ...metrics,
});

describe('the EMF documents as Prometheus samples', () => {
  it('names every emitted metric once, with a distinct Prometheus name', () => {
    expect(Object.keys(EMF_AS_PROMETHEUS).sort()).toEqual([...EMITTED_METRICS].sort());
    const names = Object.values(EMF_AS_PROMETHEUS).map((spec) => spec.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('adds counts to counters (every value of a metric added twice), sets gauges, dimensions as labels', async () => {
    const prometheus = new PrometheusMetrics(idleQueues);
    const severity = EMF_AS_PROMETHEUS.Events.labels[0]!;
    prometheus.recordEmf(emf({ [severity]: 'CRITICAL' }, { Events: 2 }));
    prometheus.recordEmf(emf({ [severity]: 'CRITICAL' }, { Events: 3 }));
    prometheus.recordEmf(emf({ service: 'sealer' }, { EventsSealed: [5, 7], CheckpointNumber: [8, 9] }));
    prometheus.recordEmf(emf({ service: 'x' }, { NotInTheContract: 1 }));
    const { samples } = parseExposition((await prometheus.expose()).body);
    expect(sampleOf(samples, 'trail_events_total', { severity: 'CRITICAL' })?.value).toBe(5);
    expect(sampleOf(samples, 'trail_events_sealed_total', { service: 'sealer' })?.value).toBe(12);
    expect(sampleOf(samples, 'trail_checkpoint_number', { service: 'sealer' })?.value).toBe(9);
    expect(samples.some((sample) => sample.name.includes('NotInTheContract'))).toBe(false);
  });

  it('reads the queues at each scrape, and counts writer invocations by outcome', async () => {
    const prometheus = new PrometheusMetrics(idleQueues);
    prometheus.observeWriter(0.02, 'ok');
    prometheus.observeWriter(0.3, 'partial');
    const { samples } = parseExposition((await prometheus.expose()).body);
    expect(sampleOf(samples, 'trail_queue_messages', { queue: 'events', state: 'visible' })?.value).toBe(4);
    expect(sampleOf(samples, 'trail_queue_messages', { queue: 'dead-letters', state: 'visible' })?.value).toBe(2);
    expect(sampleOf(samples, 'trail_queue_oldest_message_age_seconds', { queue: 'events' })?.value).toBe(12.5);
    expect(sampleOf(samples, 'trail_writer_duration_seconds_count')?.value).toBe(2);
    expect(sampleOf(samples, 'trail_writer_invocations_total', { outcome: 'partial' })?.value).toBe(1);
  });
});
