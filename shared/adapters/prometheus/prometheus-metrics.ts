import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EmittedMetric } from '../../core/contracts/metrics.ts';
import { EMF_AS_PROMETHEUS, LOCAL_PROMETHEUS_METRICS, QUEUE_LABELS } from '../../core/contracts/prometheus.ts';

/** The part of an EMF document (what Powertools prints on AWS) this reads: the metric names and their dimensions. */
export interface EmfLike {
  _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [key: string]: unknown;
}

/** What the queues hold at a scrape. */
export interface QueueFigures {
  events: { visible: number; inFlight: number; oldestAgeSeconds: number };
  deadLetters: { visible: number; inFlight: number };
}

export type WriterOutcome = 'ok' | 'partial' | 'error';

/**
 * The local stack's Prometheus registry (prom-client), fed with the very EMF documents the functions flush (one
 * registry per stack, in its main thread: the worker threads' results reach it as messages), plus what CloudWatch
 * measures itself on AWS: the queues (read at each scrape) and the writer's invocations.
 */
export class PrometheusMetrics {
  readonly registry = new Registry();
  private readonly fromEmf = new Map<string, { metric: Counter | Gauge; labels: readonly string[] }>();
  private readonly writerDuration: Histogram;
  private readonly writerInvocations: Counter;
  private readonly maintenanceLastRun: Gauge;
  private readonly maintenanceNextRun: Gauge;

  constructor(readQueues: () => Promise<QueueFigures>) {
    const registers = [this.registry];
    for (const [emfName, spec] of Object.entries(EMF_AS_PROMETHEUS)) {
      const options = { name: spec.name, help: spec.help, labelNames: [...spec.labels], registers };
      const metric = spec.kind === 'counter' ? new Counter(options) : new Gauge(options);
      this.fromEmf.set(emfName, { metric, labels: spec.labels });
    }
    this.writerDuration = new Histogram({
      name: LOCAL_PROMETHEUS_METRICS.writerDuration,
      help: "the writer's invocations (one SQS batch each), seconds",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.writerInvocations = new Counter({
      name: LOCAL_PROMETHEUS_METRICS.writerInvocations,
      help: "the writer's invocations by outcome: ok, partial (messages reported failed), error (it threw)",
      labelNames: ['outcome'],
      registers,
    });
    this.maintenanceLastRun = new Gauge({
      name: LOCAL_PROMETHEUS_METRICS.maintenanceLastRun,
      help: 'when the last maintenance run started, Unix seconds',
      registers,
    });
    this.maintenanceNextRun = new Gauge({
      name: LOCAL_PROMETHEUS_METRICS.maintenanceNextRun,
      help: 'when the next maintenance run is due, Unix seconds',
      registers,
    });
    // One read of the queues per scrape, for both gauges: prom-client collects the metrics concurrently, so each
    // gauge's collect awaits the same read. A read that fails leaves the last figures.
    let reading: Promise<void> | undefined;
    const readOnce = () => {
      reading ??= readQueues()
        .then((figures) => {
          messages.set({ queue: QUEUE_LABELS.events, state: 'visible' }, figures.events.visible);
          messages.set({ queue: QUEUE_LABELS.events, state: 'in_flight' }, figures.events.inFlight);
          messages.set({ queue: QUEUE_LABELS.deadLetters, state: 'visible' }, figures.deadLetters.visible);
          messages.set({ queue: QUEUE_LABELS.deadLetters, state: 'in_flight' }, figures.deadLetters.inFlight);
          oldest.set({ queue: QUEUE_LABELS.events }, figures.events.oldestAgeSeconds);
        })
        .catch(() => undefined)
        .finally(() => {
          reading = undefined;
        });
      return reading;
    };
    const messages = new Gauge({
      name: LOCAL_PROMETHEUS_METRICS.queueMessages,
      help: 'messages on the queues: visible (waiting) or in flight',
      labelNames: ['queue', 'state'],
      registers,
      collect: readOnce,
    });
    const oldest = new Gauge({
      name: LOCAL_PROMETHEUS_METRICS.queueOldestAge,
      help: 'seconds the oldest message not yet deleted has been on the queue (0: none)',
      labelNames: ['queue'],
      registers,
      collect: readOnce,
    });
  }

  /** One flushed EMF document: each of its metrics added to its counter or set on its gauge, dimensions as labels. */
  recordEmf(emf: EmfLike): void {
    for (const directive of emf._aws.CloudWatchMetrics) {
      for (const { Name } of directive.Metrics) {
        const target = this.fromEmf.get(Name as EmittedMetric);
        if (!target) continue;
        const labels = Object.fromEntries(target.labels.map((label) => [label, String(emf[label] ?? '')]));
        // A metric added more than once in one flush is an array of values.
        const raw = emf[Name];
        const values = (Array.isArray(raw) ? raw : [raw]).filter((value): value is number => typeof value === 'number');
        for (const value of values) {
          if (target.metric instanceof Counter) target.metric.inc(labels, value);
          else target.metric.set(labels, value);
        }
      }
    }
  }

  /** One writer invocation: how long it took and how it ended. */
  observeWriter(seconds: number, outcome: WriterOutcome): void {
    this.writerDuration.observe(seconds);
    this.writerInvocations.inc({ outcome });
  }

  /** A maintenance run started at `at`; the next is due at `next`. */
  maintenanceScheduled(at: Date, next: Date): void {
    this.maintenanceLastRun.set(at.getTime() / 1000);
    this.maintenanceNextRun.set(next.getTime() / 1000);
  }

  /** The exposition, and its content type, for `GET /metrics`. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
