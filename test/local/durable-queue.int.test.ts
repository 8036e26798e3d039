import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqsDeadLetterQueue, SqsEventQueue } from '../../shared/adapters/sqs/sqs-queue.ts';
import { createIngestHttpHandler } from '../../shared/apps/ingest-http.ts';
import { restoreLegacySpools } from '../../shared/apps/local/legacy-spool.ts';
import { type LocalQueues, startLocalQueues } from '../../shared/apps/local/sqs.ts';
import { createCatalog } from '../../shared/core/domain/catalog.ts';
import type { QueueMessage } from '../../shared/core/ports/events.ts';
import { operatorPost } from '../support/http-events.ts';

let dataDir: string;
const running: LocalQueues[] = [];
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'trail-durable-'));
});
afterEach(async () => {
  for (const queues of running.splice(0)) await queues.stop().catch(() => undefined);
  await rm(dataDir, { recursive: true, force: true });
});

async function start(maxBacklogMb = 64): Promise<LocalQueues> {
  const queues = await startLocalQueues({ dataDir, maxBacklogMb });
  running.push(queues);
  return queues;
}

const message = (group: string, n: number, size = 10): QueueMessage => ({
  groupId: group,
  deduplicationId: `${group}-${n}`,
  body: JSON.stringify({ n, pad: 'x'.repeat(size) }),
});

async function receiveAll(client: SQSClient, queueUrl: string, expected: number) {
  const received: { group: string; body: string; reason?: string }[] = [];
  for (let round = 0; round < 40 && received.length < expected; round++) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['MessageGroupId'],
        MessageAttributeNames: ['All'],
      }),
    );
    for (const m of Messages) {
      received.push({
        group: m.Attributes!.MessageGroupId!,
        body: m.Body!,
        ...(m.MessageAttributes?.reason?.StringValue && { reason: m.MessageAttributes.reason.StringValue }),
      });
      await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
  }
  return received;
}

describe('the local SQS endpoint, journaled', () => {
  it('gives back after a restart what was sent and not deleted, in each group’s order, dead letters included', async () => {
    const first = await start();
    await new SqsEventQueue(first.client, first.queueUrl).send([
      message('robot:a', 1),
      message('robot:a', 2),
      message('robot:b', 1),
      message('robot:a', 3),
    ]);
    await new SqsDeadLetterQueue(first.client, first.deadLetterQueueUrl).sendPoison({
      ...message('robot:c', 1),
      reason: 'events.0: refused',
      originalMessageId: 'm-1',
    });
    // One message is written (received and deleted) before the crash; it must not come back.
    const done = await receiveAll(first.client, first.queueUrl, 1);
    // The emulator and its memory are gone, as after `kill -9`; the journal on disk is all that is left.
    await first.stop();

    const second = await start();
    // 4 events messages and 1 dead letter were sent; what the writer deleted does not come back.
    expect(second.replayed).toBe(5 - done.length);
    const queued = await receiveAll(second.client, second.queueUrl, 4 - done.length);
    const all = [...done, ...queued];
    expect(all.filter((m) => m.group === 'robot:a').map((m) => JSON.parse(m.body).n)).toEqual([1, 2, 3]);
    expect(all.filter((m) => m.group === 'robot:b')).toHaveLength(1);
    expect(all).toHaveLength(4);
    const dead = await receiveAll(second.client, second.deadLetterQueueUrl, 1);
    expect(dead).toEqual([{ group: 'robot:c', body: message('robot:c', 1).body, reason: 'events.0: refused' }]);
    await second.stop();

    // Everything was deleted: a third start has nothing to give back.
    const third = await start();
    expect(third.replayed).toBe(0);
  });

  it("a resend of a message already written (answered by the first send's id) does not stay in the journal", async () => {
    const first = await start();
    const queue = new SqsEventQueue(first.client, first.queueUrl);
    await queue.send([message('robot:a', 1)]);
    expect(await receiveAll(first.client, first.queueUrl, 1)).toHaveLength(1);
    // Inside the 5-minute window: the emulator answers with the deleted message's id and drops it.
    await queue.send([message('robot:a', 1)]);
    await first.stop();

    const second = await start();
    expect(second.replayed).toBe(0);
  });

  it('puts back the shutdown spool an earlier version left, queued and dead letters, then removes it', async () => {
    const spooled = { groupId: 'robot:old', deduplicationId: 'old-1', body: message('robot:old', 1).body };
    await writeFile(join(dataDir, 'queue-spool.ndjson'), `${JSON.stringify(spooled)}\n`);
    await writeFile(
      join(dataDir, 'dead-letters.ndjson'),
      `${JSON.stringify({ ...spooled, deduplicationId: 'old-2', reason: 'events.0: refused' })}\n`,
    );
    const queues = await start();
    expect(await restoreLegacySpools(dataDir, queues)).toBe(2);
    expect(existsSync(join(dataDir, 'queue-spool.ndjson'))).toBe(false);
    expect(existsSync(join(dataDir, 'dead-letters.ndjson'))).toBe(false);
    expect(await receiveAll(queues.client, queues.queueUrl, 1)).toEqual([{ group: 'robot:old', body: spooled.body }]);
    expect(await receiveAll(queues.client, queues.deadLetterQueueUrl, 1)).toEqual([
      { group: 'robot:old', body: spooled.body, reason: 'events.0: refused' },
    ]);
  });

  it('refuses sends past the backlog bound as SQS refuses a throttled request, and takes them again once drained', async () => {
    const queues = await start(1);
    const queue = new SqsEventQueue(queues.client, queues.queueUrl);
    const big = (n: number) => message(`robot:${n}`, n, 200 * 1024);
    let sent = 0;
    let refusal: unknown;
    for (; sent < 10; sent++) {
      refusal = await queue.send([big(sent)]).then(
        () => undefined,
        (error: unknown) => error,
      );
      if (refusal) break;
    }
    // 1 MiB holds five 200 KiB bodies; the sixth is refused.
    expect(sent).toBe(5);
    expect(String(refusal)).toMatch(/LOCAL_QUEUE_MAX_MB|throttl/i);

    // The HTTP ingest handler answers that with 503 and Retry-After, and accepts nothing.
    const ingest = createIngestHttpHandler({ queue, catalog: createCatalog() });
    const events = Array.from({ length: 20 }, (_, i) => ({
      type: 'robot.online',
      entity: { type: 'robot', id: `r-${i}` },
      payload: { pad: 'x'.repeat(15_000) },
    }));
    const answer = await ingest(operatorPost(JSON.stringify(events)));
    expect(answer.statusCode).toBe(503);
    expect(answer.headers?.['retry-after']).toBe('1');

    expect(await receiveAll(queues.client, queues.queueUrl, 5)).toHaveLength(5);
    await queue.send([big(99)]);
  });

  it("answers the emulator's refusal of a send as SQS does, and does not give it back after a restart", async () => {
    const first = await start();
    // A FIFO queue refuses a message without a group id: fauxqs' error, with its status, not an internal error.
    const refusal = await first.client
      .send(new SendMessageCommand({ QueueUrl: first.queueUrl, MessageBody: 'no group', MessageDeduplicationId: 'd' }))
      .then(
        () => undefined,
        (error: { name?: string; $metadata?: { httpStatusCode?: number } }) => error,
      );
    expect(refusal?.name).toBe('MissingParameter');
    expect(refusal?.$metadata?.httpStatusCode).toBe(400);
    await first.stop();

    const second = await start();
    expect(second.replayed).toBe(0);
  });

  it("names its queues by this endpoint's URLs in GetQueueUrl and ListQueues", async () => {
    const queues = await start();
    const { QueueUrl } = await queues.client.send(new GetQueueUrlCommand({ QueueName: 'audit-events.fifo' }));
    expect(QueueUrl).toBe(queues.queueUrl);
    const { QueueUrls } = await queues.client.send(new ListQueuesCommand({}));
    expect(QueueUrls?.sort()).toEqual([queues.queueUrl, queues.deadLetterQueueUrl].sort());
  });

  it('answers with a length, in one piece, not chunked', async () => {
    const queues = await start();
    const answer = await fetch(queues.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ListQueues' },
      body: '{}',
    });
    const text = await answer.text();
    expect(answer.status).toBe(200);
    expect(answer.headers.get('transfer-encoding')).toBeNull();
    expect(answer.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(JSON.parse(text).QueueUrls).toHaveLength(2);
  });

  it('acks a batch of deletes in one journal line, and gives none of them back', async () => {
    const first = await start();
    await new SqsEventQueue(first.client, first.queueUrl).send([1, 2, 3].map((n) => message(`robot:${n}`, 1)));
    const handles: string[] = [];
    for (let round = 0; round < 10 && handles.length < 3; round++) {
      const { Messages = [] } = await first.client.send(
        new ReceiveMessageCommand({ QueueUrl: first.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      handles.push(...Messages.map((m) => m.ReceiptHandle!));
    }
    expect(handles).toHaveLength(3);
    await first.client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: first.queueUrl,
        Entries: handles.map((handle, i) => ({ Id: String(i), ReceiptHandle: handle })),
      }),
    );
    await first.stop();

    const lines = readFileSync(join(dataDir, 'queue', 'journal.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const sent = lines.filter((line) => 's' in line).map((line) => line.s);
    expect(sent).toHaveLength(3);
    expect(lines.filter((line) => 'a' in line)).toEqual([{ a: expect.arrayContaining(sent) }]);
    const second = await start();
    expect(second.replayed).toBe(0);
  });
});
