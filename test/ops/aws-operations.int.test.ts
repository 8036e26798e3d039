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
beforeEach(() => sqs.reset());

const source = () =>
  awsOperations({
    sqs: new SQSClient({ region: 'eu-west-1' }),
    queueUrl: QUEUE_URL,
    deadLetterQueueUrl: DLQ_URL,
    pool: reader,
    clock: () => NOW,
  });

describe('GET /operations on AWS: SQS attributes and the catalog, as the query API reads them', () => {
  it("reads both queues' depth and the partitions; what only CloudWatch knows is null", async () => {
    sqs
      .on(GetQueueAttributesCommand, { QueueUrl: QUEUE_URL })
      .resolves({ Attributes: { ApproximateNumberOfMessages: '12', ApproximateNumberOfMessagesNotVisible: '3' } })
      .on(GetQueueAttributesCommand, { QueueUrl: DLQ_URL })
      .resolves({ Attributes: { ApproximateNumberOfMessages: '2', ApproximateNumberOfMessagesNotVisible: '0' } });
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
});
