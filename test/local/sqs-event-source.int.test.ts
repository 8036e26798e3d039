import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqsEventQueue } from '../../shared/adapters/sqs/sqs-queue.ts';
import { SqsEventSource } from '../../shared/apps/local/sqs-event-source.ts';

let server: Awaited<ReturnType<typeof startFauxqs>>;
let client: SQSClient;
let dir: string;

beforeAll(async () => {
  server = await startFauxqs({ port: 0, logger: false });
  client = new SQSClient({
    endpoint: `http://127.0.0.1:${server.port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  dir = await mkdtemp(join(tmpdir(), 'trail-spool-'));
});
afterAll(async () => {
  client.destroy();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

let queueCount = 0;
async function fifoQueue(attributes: Record<string, string> = {}) {
  queueCount++;
  const dlq = await client.send(
    new CreateQueueCommand({ QueueName: `dlq-${queueCount}.fifo`, Attributes: { FifoQueue: 'true' } }),
  );
  const dlqArn = (
    await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes!.QueueArn!;
  const queue = await client.send(
    new CreateQueueCommand({
      QueueName: `q-${queueCount}.fifo`,
      Attributes: {
        FifoQueue: 'true',
        VisibilityTimeout: '1',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
        ...attributes,
      },
    }),
  );
  return { queueUrl: queue.QueueUrl!, dlqUrl: dlq.QueueUrl! };
}

const message = (groupId: string, n: number) => ({
  groupId,
  deduplicationId: `${groupId}-${n}`,
  body: JSON.stringify({ n }),
});

describe('SqsEventSource (Lambda FIFO event source stand-in)', () => {
  it('hands batches to the handler in per-group order and deletes what it processed', async () => {
    const { queueUrl } = await fifoQueue();
    await new SqsEventQueue(client, queueUrl).send([
      message('a', 1),
      message('a', 2),
      message('b', 1),
      message('a', 3),
    ]);
    const seen: string[] = [];
    const source = new SqsEventSource({
      client,
      queueUrl,
      concurrency: 1,
      handler: async (event: SQSEvent) => {
        for (const r of event.Records) seen.push(`${r.attributes.MessageGroupId}:${JSON.parse(r.body).n}`);
        return { batchItemFailures: [] };
      },
    });
    source.start();
    expect(await source.drain(10_000)).toBe(true);
    await source.stop();
    expect(seen.filter((s) => s.startsWith('a:'))).toEqual(['a:1', 'a:2', 'a:3']);
    expect(seen).toContain('b:1');
  });

  it('redelivers reported failures and moves them to the DLQ after maxReceiveCount', async () => {
    const { queueUrl, dlqUrl } = await fifoQueue();
    await new SqsEventQueue(client, queueUrl).send([message('poison', 1)]);
    let deliveries = 0;
    const source = new SqsEventSource({
      client,
      queueUrl,
      concurrency: 1,
      handler: async (event: SQSEvent) => {
        deliveries += event.Records.length;
        return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
      },
    });
    source.start();
    expect(await source.drain(15_000)).toBe(true);
    await source.stop();
    expect(deliveries).toBe(2);
    const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, WaitTimeSeconds: 1 }));
    expect(Messages.map((m) => m.Body)).toEqual([JSON.stringify({ n: 1 })]);
  });
});
