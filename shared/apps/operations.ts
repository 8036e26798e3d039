import type { SQSClient } from '@aws-sdk/client-sqs';
import type pg from 'pg';
import { listMonthTables } from '../adapters/postgres/maintenance/partition-ddl.ts';
import { sinkStatuses } from '../adapters/postgres/sink-status.ts';
import { readQueueDepth } from '../adapters/sqs/queue-depth.ts';
import { formatMonth } from '../core/domain/month.ts';
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

/**
 * GET /operations on AWS, from what the query API may read: the queues' depth (SQS GetQueueAttributes) and the
 * partitions (the catalog, as audit_reader). The figures CloudWatch holds (the oldest message's age, the writer's
 * invocations and errors, the maintenance, seal and verification results) are null, said "unknown here": reading
 * them needs @aws-sdk/client-cloudwatch, not a dependency yet; the CloudWatch dashboard shows them.
 */
export function awsOperations(deps: {
  sqs: SQSClient;
  queueUrl: string;
  deadLetterQueueUrl: string;
  pool: pg.Pool;
  clock?: () => Date;
}): OperationsSource {
  return async () => {
    const at = (deps.clock ?? (() => new Date()))();
    const [events, deadLetters, months, sinks] = await Promise.all([
      readQueueDepth(deps.sqs, deps.queueUrl).catch(() => undefined),
      readQueueDepth(deps.sqs, deps.deadLetterQueueUrl).catch(() => undefined),
      listPartitionMonths(deps.pool).catch(() => undefined),
      readSinkLag(deps.pool).catch(() => []),
    ]);
    return {
      at: at.toISOString(),
      queue: events ? { ...events, oldestAgeSeconds: null } : null,
      deadLetters: deadLetters ? { visible: deadLetters.visible } : null,
      writer: null,
      partitions: months ? { months, nextMaintenanceAt: null } : null,
      lastMaintenance: null,
      lastSeal: null,
      lastVerification: null,
      sinks,
    };
  };
}
