import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureMonthPartitions } from '../../shared/adapters/postgres/partitions.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { awsOperations } from '../../shared/apps/operations.ts';
import { operationsStatusSchema } from '../../shared/core/operations/status.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/audit-events.fifo';
const DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/audit-events-dlq.fifo';
const NOW = new Date('2026-12-01T10:00:00Z');
const sqs = mockClient(SQSClient);
const cloudwatch = mockClient(CloudWatchClient);
const TARGET = { namespace: 'FleetAuditTrail', queueName: 'audit-events.fifo', writerFunctionName: 'writer-fn' };

let db: TestDatabase;
let reader: ReturnType<typeof createPool>;

beforeAll(async () => {
  db = await createTestDatabase('ops_aws_operations');
  await ensureMonthPartitions(db.pool, [{ year: 2026, month: 12 }]);
  reader = createPool({ connectionString: db.readerUrl, max: 1 });
});
afterAll(async () => {
  await reader?.end();
  await db?.drop();
});
beforeEach(() => {
  sqs.reset();
  cloudwatch.reset();
});

const source = (options: { withCloudWatch?: boolean } = {}) =>
  awsOperations({
    sqs: new SQSClient({ region: 'eu-west-1' }),
    queueUrl: QUEUE_URL,
    deadLetterQueueUrl: DLQ_URL,
    pool: reader,
    clock: () => NOW,
    ...(options.withCloudWatch && {
      cloudwatch: { client: new CloudWatchClient({ region: 'eu-west-1' }), target: TARGET },
      maintenanceSchedule: 'cron(45 4 * * ? *)',
    }),
  });

const answerDepths = () =>
  sqs
    .on(GetQueueAttributesCommand, { QueueUrl: QUEUE_URL })
    .resolves({ Attributes: { ApproximateNumberOfMessages: '12', ApproximateNumberOfMessagesNotVisible: '3' } })
    .on(GetQueueAttributesCommand, { QueueUrl: DLQ_URL })
    .resolves({ Attributes: { ApproximateNumberOfMessages: '2', ApproximateNumberOfMessagesNotVisible: '0' } });

describe('GET /operations on AWS: SQS attributes and the catalog, as the query API reads them', () => {
  it("reads both queues' depth and the partitions; without CloudWatch, what only it knows is null", async () => {
    answerDepths();
    const status = operationsStatusSchema.parse(await source()());
    expect(status.at).toBe(NOW.toISOString());
    expect(status.queue).toEqual({ visible: 12, inFlight: 3, oldestAgeSeconds: null });
    expect(status.deadLetters).toEqual({ visible: 2 });
    expect(status.partitions?.months).toContain('2026-12');
    expect([status.writer, status.lastMaintenance, status.lastSeal, status.lastVerification]).toEqual([
      null,
      null,
      null,
      null,
    ]);
    expect(status.sinks).toEqual([]);
    // Nothing but the attributes was asked of SQS: no message received or deleted.
    expect(sqs.calls().map((call) => call.args[0].constructor.name)).toEqual([
      'GetQueueAttributesCommand',
      'GetQueueAttributesCommand',
    ]);
  });

  it('says a queue it could not read is unknown (null) rather than failing the whole view', async () => {
    sqs.on(GetQueueAttributesCommand).rejects(new Error('AccessDenied'));
    const status = await source()();
    expect(status.queue).toBeNull();
    expect(status.deadLetters).toBeNull();
    expect(status.partitions?.months).toContain('2026-12');
  });
  it("fills in CloudWatch's figures from one GetMetricData, and the next maintenance from the schedule", async () => {
    answerDepths();
    const sealedAt = new Date('2026-12-01T09:59:00Z');
    const maintainedAt = new Date('2026-12-01T04:45:00Z');
    const point = (Id: string, at: Date, value: number) => ({ Id, Timestamps: [at], Values: [value] });
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        point('queue_age', new Date('2026-12-01T09:55:00Z'), 17),
        point('writer_invocations', new Date('2026-12-01T09:55:00Z'), 8),
        point('writer_p99', new Date('2026-12-01T09:55:00Z'), 95),
        point('events_info', new Date('2026-12-01T09:55:00Z'), 40),
        point('seal_checkpoint', sealedAt, 7),
        point('seal_sealed', sealedAt, 40),
        point('maintenance_runs', maintainedAt, 1),
        point('verification_failures', maintainedAt, 0),
      ],
    });
    const status = operationsStatusSchema.parse(await source({ withCloudWatch: true })());
    expect(status.queue).toEqual({ visible: 12, inFlight: 3, oldestAgeSeconds: 17 });
    expect(status.writer).toEqual({ windowMinutes: 5, invocations: 8, errors: 0, eventsStored: 40, p99Ms: 95 });
    expect(status.partitions).toEqual({
      months: expect.arrayContaining(['2026-12']),
      nextMaintenanceAt: '2026-12-02T04:45:00.000Z',
    });
    expect(status.lastSeal).toMatchObject({ at: sealedAt.toISOString(), checkpoint: 7, sealed: 40 });
    expect(status.lastMaintenance).toMatchObject({ at: maintainedAt.toISOString(), status: 'done', archived: null });
    expect(status.lastVerification).toMatchObject({ at: maintainedAt.toISOString(), ok: true });
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(1);
  });

  it('says what CloudWatch would tell is unknown when it cannot be read, and serves the rest', async () => {
    answerDepths();
    cloudwatch.on(GetMetricDataCommand).rejects(new Error('AccessDenied'));
    const status = operationsStatusSchema.parse(await source({ withCloudWatch: true })());
    expect(status.queue).toEqual({ visible: 12, inFlight: 3, oldestAgeSeconds: null });
    expect([status.writer, status.lastMaintenance, status.lastSeal, status.lastVerification]).toEqual([
      null,
      null,
      null,
      null,
    ]);
    // The schedule needs no CloudWatch.
    expect(status.partitions?.nextMaintenanceAt).toBe('2026-12-02T04:45:00.000Z');
  });
});
