import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type EmfLike, PrometheusMetrics, type QueueFigures } from '../../adapters/prometheus/prometheus-metrics.ts';
import { readQueueDepth } from '../../adapters/sqs/queue-depth.ts';
import { EVENT_METRICS, MAINTENANCE_SERVICE, SEALER_SERVICE } from '../../core/contracts/metrics.ts';
import { recordMaintenanceMetrics } from '../../core/lifecycle/report.ts';
import type { MaintenanceResult } from '../../core/lifecycle/result.ts';
import {
  maintenanceSummary,
  type OperationsStatus,
  sealSummary,
  verificationStatus,
} from '../../core/operations/status.ts';
import type { SealResult } from '../../core/tamper/seal.ts';
import { recordSealMetrics } from '../../core/tamper/seal-report.ts';
import type { VerificationReport } from '../../core/tamper/verify.ts';
import { recordVerificationMetrics } from '../../core/tamper/verify-report.ts';
import { newMetrics, routeMetrics } from '../runtime/observability.ts';
import type { LocalQueues } from './sqs.ts';

export interface TelemetrySources {
  readQueues: () => Promise<QueueFigures>;
  /** The months with a partition, `YYYY-MM`. */
  listPartitions: () => Promise<string[]>;
  /** Each configured sink's lag (shared/adapters/postgres/sink-status.ts); absent: no sinks. */
  readSinks?: () => Promise<OperationsStatus['sinks']>;
  clock?: () => Date;
}

/** What the local queues hold: SQS's attributes, and the journal's oldest message. */
export async function queueFigures(queues: LocalQueues): Promise<QueueFigures> {
  const [events, deadLetters, ages] = await Promise.all([
    readQueueDepth(queues.client, queues.queueUrl),
    readQueueDepth(queues.client, queues.deadLetterQueueUrl),
    queues.oldestAgeSeconds(),
  ]);
  return { events: { ...events, oldestAgeSeconds: ages.events }, deadLetters };
}

/** The writer figures of the operations view: the last five minutes, as the dashboard's graphs show them. */
const WRITER_WINDOW_MS = 5 * 60_000;

interface WriterInvocation {
  at: number;
  ms: number;
  failed: boolean;
}

/**
 * What the local stack knows about itself, for `GET /metrics` (Prometheus) and `GET /operations`: the functions' EMF
 * flushes (routed here from Powertools), the writer's invocations, and the results the worker threads (sealer,
 * verifier) and the maintenance schedule hand back to the main thread, which owns it.
 */
export class LocalTelemetry {
  readonly prometheus: PrometheusMetrics;
  private readonly unroute: () => void;
  private readonly invocations: WriterInvocation[] = [];
  private readonly eventsStored: { at: number; count: number }[] = [];
  private lastMaintenance: OperationsStatus['lastMaintenance'] = null;
  private lastSeal: OperationsStatus['lastSeal'] = null;
  private lastVerification: OperationsStatus['lastVerification'] = null;
  private nextMaintenanceAt: string | null = null;

  /** `sources` is read at each use: the stack fills it in as the parts it reads start. */
  constructor(private readonly sources: TelemetrySources) {
    this.prometheus = new PrometheusMetrics(() => this.sources.readQueues());
    this.unroute = routeMetrics((emf) => this.onEmf(emf as unknown as EmfLike));
  }

  private now(): Date {
    return this.sources.clock?.() ?? new Date();
  }

  private onEmf(emf: EmfLike): void {
    this.prometheus.recordEmf(emf);
    // The writer's Events{severity} flushes, summed: the events stored in the window.
    const stored = emf[EVENT_METRICS.bySeverity.name];
    if (typeof stored !== 'number' || typeof emf[EVENT_METRICS.bySeverity.dimension] !== 'string') return;
    const at = this.now().getTime();
    this.eventsStored.push({ at, count: stored });
    prune(this.eventsStored, at - WRITER_WINDOW_MS);
  }

  /** The writer, timed and counted per invocation (Lambda's Duration and Errors on AWS). */
  timeWriter(handler: (event: SQSEvent) => Promise<SQSBatchResponse>): (event: SQSEvent) => Promise<SQSBatchResponse> {
    return async (event) => {
      const started = performance.now();
      const record = (failed: boolean, outcome: 'ok' | 'partial' | 'error') => {
        const ms = performance.now() - started;
        this.prometheus.observeWriter(ms / 1000, outcome);
        const at = this.now().getTime();
        this.invocations.push({ at, ms, failed });
        prune(this.invocations, at - WRITER_WINDOW_MS);
      };
      try {
        const response = await handler(event);
        record(false, response.batchItemFailures.length > 0 ? 'partial' : 'ok');
        return response;
      } catch (error) {
        record(true, 'error');
        throw error;
      }
    };
  }

  /** A sealing round the sealer's thread reported. */
  sealed(result: SealResult): void {
    const metrics = newMetrics(SEALER_SERVICE);
    recordSealMetrics(metrics, result);
    metrics.publishStoredMetrics();
    this.lastSeal = sealSummary(this.now(), result);
  }

  /** A maintenance run that started at `at`; the schedule's next run is due at `next`. */
  maintained(at: Date, result: MaintenanceResult, next: Date): void {
    const metrics = newMetrics(MAINTENANCE_SERVICE);
    recordMaintenanceMetrics(metrics, result);
    metrics.publishStoredMetrics();
    this.prometheus.maintenanceScheduled(at, next);
    this.lastMaintenance = maintenanceSummary(at, result);
    this.nextMaintenanceAt = next.toISOString();
  }

  /** The scheduled verification's report, from its thread. */
  verified(report: VerificationReport): void {
    const metrics = newMetrics(MAINTENANCE_SERVICE);
    recordVerificationMetrics(metrics, report);
    metrics.publishStoredMetrics();
    this.lastVerification = verificationStatus(this.now(), report);
  }

  /** The operations view's figures, now. */
  async status(): Promise<OperationsStatus> {
    const now = this.now();
    const since = now.getTime() - WRITER_WINDOW_MS;
    prune(this.invocations, since);
    prune(this.eventsStored, since);
    const [queues, months, sinks] = await Promise.all([
      this.sources.readQueues().catch(() => undefined),
      this.sources.listPartitions().catch(() => undefined),
      this.sources.readSinks?.().catch(() => []) ?? [],
    ]);
    const durations = this.invocations.map((invocation) => invocation.ms).sort((a, b) => a - b);
    return {
      at: now.toISOString(),
      queue: queues ? { ...queues.events } : null,
      deadLetters: queues ? { visible: queues.deadLetters.visible } : null,
      writer: {
        windowMinutes: WRITER_WINDOW_MS / 60_000,
        invocations: this.invocations.length,
        errors: this.invocations.filter((invocation) => invocation.failed).length,
        eventsStored: this.eventsStored.reduce((sum, entry) => sum + entry.count, 0),
        p99Ms: durations.length
          ? durations[Math.min(durations.length - 1, Math.floor(durations.length * 0.99))]!
          : null,
      },
      partitions: months ? { months, nextMaintenanceAt: this.nextMaintenanceAt } : null,
      lastMaintenance: this.lastMaintenance,
      lastSeal: this.lastSeal,
      lastVerification: this.lastVerification,
      sinks,
    };
  }

  stop(): void {
    this.unroute();
  }
}

function prune(entries: { at: number }[], since: number): void {
  while (entries.length > 0 && entries[0]!.at < since) entries.shift();
}
