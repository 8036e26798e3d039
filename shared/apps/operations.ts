import type { SQSClient } from '@aws-sdk/client-sqs';
import type pg from 'pg';
import { listMonthTables } from '../adapters/postgres/maintenance/partition-ddl.ts';
import { readQueueDepth } from '../adapters/sqs/queue-depth.ts';
import { formatMonth } from '../core/domain/month.ts';
import type { OperationsSource } from '../core/operations/status.ts';

/** The months `events` has a partition for (attached), `YYYY-MM`: the catalog, which any login may read. */
export async function listPartitionMonths(pool: pg.Pool): Promise<string[]> {
  return (await listMonthTables(pool)).filter((table) => table.attached).map((table) => formatMonth(table.month));
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
    const [events, deadLetters, months] = await Promise.all([
      readQueueDepth(deps.sqs, deps.queueUrl).catch(() => undefined),
      readQueueDepth(deps.sqs, deps.deadLetterQueueUrl).catch(() => undefined),
      listPartitionMonths(deps.pool).catch(() => undefined),
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
      // The sinks (issue 15 item 1) report their lag here once they exist.
      sinks: [],
    };
  };
}
