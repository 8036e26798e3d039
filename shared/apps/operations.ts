import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type pg from 'pg';
import { type OperationsMetricsTarget, readOperationsMetrics } from '../adapters/cloudwatch/operations-metrics.ts';
import { listMonthTables } from '../adapters/postgres/maintenance/partition-ddl.ts';
import { sinkStatuses } from '../adapters/postgres/sink-status.ts';
import { readQueueDepth } from '../adapters/sqs/queue-depth.ts';
import { formatMonth } from '../core/domain/month.ts';
import { nextScheduledRun } from '../core/lifecycle/schedule.ts';
import type { OperationsSource, OperationsStatus } from '../core/operations/status.ts';

/** The months `events` has a partition for (attached), `YYYY-MM`: the catalog, which any login may read. */
export async function listPartitionMonths(pool: pg.Pool): Promise<string[]> {
  return (await listMonthTables(pool)).filter((table) => table.attached).map((table) => formatMonth(table.month));
}

/**
 * The sinks' lag as the operations view shows it: every sink with a cursor (the reader may read sink_cursors), or
 * those named (a configured sink before its first round is at seq 0).
 */
export async function readSinkLag(pool: pg.Pool, names?: readonly string[]): Promise<OperationsStatus['sinks']> {
  return (await sinkStatuses(pool, names)).map((sink) => ({
    name: sink.name,
    lagEvents: sink.lagEvents,
    lagSeconds: sink.oldestUndeliveredAgeSeconds,
    deadLettered: sink.deadLettered,
    lastError: sink.lastError,
  }));
}

/** What GET /operations reads from CloudWatch on AWS: the client, and the queue, writer and namespace to read. */
export interface CloudWatchOperations {
  client: Pick<CloudWatchClient, 'send'>;
  target: OperationsMetricsTarget;
}

/**
 * GET /operations on AWS, from what the query API may read: the queues' depth (SQS GetQueueAttributes), the
 * partitions and the sinks' lag (PostgreSQL, as audit_reader), the figures CloudWatch holds (one GetMetricData: the
 * oldest message's age, the writer's last five minutes, the latest maintenance, seal and verification), and the
 * schedule's next maintenance (MAINTENANCE_SCHEDULE). A source that cannot be read leaves its figures null.
 */
export function awsOperations(deps: {
  sqs: SQSClient;
  queueUrl: string;
  deadLetterQueueUrl: string;
  pool: pg.Pool;
  /** Absent: the figures only CloudWatch holds are null. */
  cloudwatch?: CloudWatchOperations;
  /** The maintenance rule's schedule expression; absent or not a daily cron: the next maintenance is null. */
  maintenanceSchedule?: string;
  clock?: () => Date;
}): OperationsSource {
  return async () => {
    const at = (deps.clock ?? (() => new Date()))();
    const [events, deadLetters, months, sinks, metrics] = await Promise.all([
      readQueueDepth(deps.sqs, deps.queueUrl).catch(() => undefined),
      readQueueDepth(deps.sqs, deps.deadLetterQueueUrl).catch(() => undefined),
      listPartitionMonths(deps.pool).catch(() => undefined),
      readSinkLag(deps.pool).catch(() => []),
      deps.cloudwatch
        ? readOperationsMetrics(deps.cloudwatch.client, deps.cloudwatch.target, at).catch(() => undefined)
        : undefined,
    ]);
    const nextMaintenance = deps.maintenanceSchedule ? nextScheduledRun(deps.maintenanceSchedule, at) : null;
    return {
      at: at.toISOString(),
      queue: events ? { ...events, oldestAgeSeconds: metrics?.oldestAgeSeconds ?? null } : null,
      deadLetters: deadLetters ? { visible: deadLetters.visible } : null,
      writer: metrics?.writer ?? null,
      partitions: months ? { months, nextMaintenanceAt: nextMaintenance?.toISOString() ?? null } : null,
      lastMaintenance: metrics?.lastMaintenance ?? null,
      lastSeal: metrics?.lastSeal ?? null,
      lastVerification: metrics?.lastVerification ?? null,
      sinks,
    };
  };
}
