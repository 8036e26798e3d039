import {
  CreateQueueCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqsDeadLetterQueue, SqsEventQueue } from '../../shared/adapters/sqs/sqs-queue.ts';
import { packEvents, type QueueMessageBody } from '../../shared/core/ingest/packing.ts';
import { eventAbout } from '../support/events.ts';

let server: FauxqsServer;
let client: SQSClient;
let queueCount = 0;

beforeAll(async () => {
  server = await startFauxqs({ port: 0, logger: false });
  client = new SQSClient({
    endpoint: `http://127.0.0.1:${server.port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

/** A fresh FIFO queue per test, declared as on AWS. */
async function fifoQueue(): Promise<string> {
  queueCount++;
  const created = await client.send(
    new CreateQueueCommand({
      QueueName: `audit-test-${queueCount}.fifo`,
      Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'false', VisibilityTimeout: '30' },
    }),
  );
  return created.QueueUrl!;
}

/** Reads the queue to the end as a FIFO consumer would: receive, delete, repeat. */
async function drain(queueUrl: string): Promise<Message[]> {
  const received: Message[] = [];
  for (let emptyReads = 0; emptyReads < 2; ) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['MessageGroupId', 'MessageDeduplicationId'],
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) {
      emptyReads++;
      continue;
    }
    emptyReads = 0;
    for (const message of Messages) {
      received.push(message);
      await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
    }
  }
  return received;
}

const event = (entity: string, payload: Record<string, unknown> = {}) => eventAbout(entity, { payload });

const eventIdsOf = (message: Message) => (JSON.parse(message.Body!) as QueueMessageBody).events.map((e) => e.id);

describe('SqsEventQueue against an SQS endpoint (fauxqs, real SQS client)', () => {
  it('messages arrive with their MessageGroupId and MessageDeduplicationId', async () => {
    const queueUrl = await fifoQueue();
    const messages = packEvents([event('robot:r-1'), event('sensor:s-9'), event('robot:r-1')]);
    await new SqsEventQueue(client, queueUrl).send(messages);

    const received = await drain(queueUrl);
    const seen = received.map((m) => ({
      groupId: m.Attributes?.MessageGroupId,
      deduplicationId: m.Attributes?.MessageDeduplicationId,
      body: m.Body,
    }));
    expect(seen).toHaveLength(2);
    expect(seen).toEqual(expect.arrayContaining(messages));
  });

  it('sending the same messages twice leaves one copy', async () => {
    const queueUrl = await fifoQueue();
    const messages = packEvents([event('robot:r-1'), event('robot:r-2'), event('container:c-4')]);
    const queue = new SqsEventQueue(client, queueUrl);
    await queue.send(messages);
    await queue.send(messages);

    const received = await drain(queueUrl);
    expect(received).toHaveLength(3);
    expect(received.map((m) => m.Attributes?.MessageDeduplicationId).sort()).toEqual(
      messages.map((m) => m.deduplicationId).sort(),
    );
  });

  it("keeps one entity's order across several messages of its group", async () => {
    const queueUrl = await fifoQueue();
    const robotEvents = Array.from({ length: 12 }, (_, i) =>
      event('robot:r-7', { reason: `step ${i}`, pad: 'p'.repeat(400) }),
    );
    const otherEvents = Array.from({ length: 5 }, (_, i) => event(`sensor:s-${i}`));
    const interleaved = robotEvents.flatMap((e, i) => (otherEvents[i] ? [e, otherEvents[i]] : [e]));
    // A small size limit splits the robot's events over several messages of one group.
    const messages = packEvents(interleaved, 2048);
    expect(messages.filter((m) => m.groupId === 'robot:r-7').length).toBeGreaterThan(3);
    await new SqsEventQueue(client, queueUrl).send(messages);

    const received = await drain(queueUrl);
    const robotOrder = received.filter((m) => m.Attributes?.MessageGroupId === 'robot:r-7').flatMap(eventIdsOf);
    expect(robotOrder).toEqual(robotEvents.map((e) => e.id));
    expect(received.flatMap(eventIdsOf).sort()).toEqual(interleaved.map((e) => e.id).sort());
  });

  it('carries characters above U+FFFF (emoji), which fauxqs refuses raw, as JSON escapes that parse back to them', async () => {
    const queueUrl = await fifoQueue();
    const payload = { reason: 'boot 🚀', 'k😀': ['👩‍🔧', '\u{1D11E}\u{10FFFD}'], edge: '\uFFFD\uE000\u0001' };
    // Largest events of all emoji: the escaped message still fits (12 bytes per emoji instead of 4).
    const big = Array.from({ length: 3 }, () => event('robot:r-emoji', { blob: '😀'.repeat(16_000) }));
    const sent = [event('robot:r-emoji', payload), ...big];
    const messages = packEvents(sent);
    await new SqsEventQueue(client, queueUrl, { maxAttempts: 1 }).send(messages);

    const received = await drain(queueUrl);
    const events = received.flatMap((m) => (JSON.parse(m.Body!) as QueueMessageBody).events);
    expect(events).toEqual(sent);
  });
});

describe('SqsDeadLetterQueue against an SQS endpoint', () => {
  it('parks the message with its group and the reason attribute', async () => {
    const dlqUrl = await fifoQueue();
    await new SqsDeadLetterQueue(client, dlqUrl).sendPoison({
      groupId: 'robot:r-1',
      deduplicationId: 'poison-1',
      body: 'not json',
      reason: 'body is not JSON: Unexpected token',
    });

    const [parked, ...rest] = await drain(dlqUrl);
    expect(rest).toEqual([]);
    expect(parked?.Body).toBe('not json');
    expect(parked?.Attributes?.MessageGroupId).toBe('robot:r-1');
    expect(parked?.Attributes?.MessageDeduplicationId).toBe('poison-1');
    expect(parked?.MessageAttributes?.['reason']).toMatchObject({
      DataType: 'String',
      StringValue: 'body is not JSON: Unexpected token',
    });
  });
});
