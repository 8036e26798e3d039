import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QueueSendError, SqsDeadLetterQueue, SqsEventQueue } from '../../shared/adapters/sqs/sqs-queue.ts';
import type { QueueMessage } from '../../shared/core/ports/events.ts';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/audit-events.fifo';
const sqs = mockClient(SQSClient);
const client = new SQSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const noDelay = { backoffMs: () => 0 };

function message(groupId: string, label: string): QueueMessage {
  return { groupId, deduplicationId: `dedup-${label}`, body: JSON.stringify({ label }) };
}

/** The batch calls made, each as the list of message labels it carried. */
function sentBatches(): string[][] {
  return sqs
    .commandCalls(SendMessageBatchCommand)
    .map((call) => (call.args[0].input.Entries ?? []).map((entry) => JSON.parse(entry.MessageBody ?? '{}').label));
}

/** Answers every batch call: entries whose label is in `failures` fail (once each, or always). */
function answerBatches(failures: Record<string, { code: string; senderFault: boolean; times: number }>) {
  const remaining = new Map(Object.entries(failures).map(([label, f]) => [label, f.times]));
  sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput): SendMessageBatchCommandOutput => {
    const output: SendMessageBatchCommandOutput = { Successful: [], Failed: [], $metadata: {} };
    for (const entry of input.Entries ?? []) {
      const label: string = JSON.parse(entry.MessageBody ?? '{}').label;
      const left = remaining.get(label) ?? 0;
      const failure = failures[label];
      if (failure && left > 0) {
        remaining.set(label, left - 1);
        output.Failed!.push({
          Id: entry.Id,
          Code: failure.code,
          SenderFault: failure.senderFault,
          Message: `${failure.code} for ${label}`,
        });
      } else {
        output.Successful!.push({
          Id: entry.Id,
          MessageId: `mid-${label}`,
          MD5OfMessageBody: 'x',
          SequenceNumber: '1',
        });
      }
    }
    return output;
  });
}

beforeEach(() => sqs.reset());
afterEach(() => sqs.reset());

describe('SqsEventQueue.send', () => {
  it('sends each message with its group id, dedup id and body to the queue', async () => {
    answerBatches({});
    await new SqsEventQueue(client, QUEUE_URL, noDelay).send([message('robot:r-1', 'a'), message('sensor:s-1', 'b')]);
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      QueueUrl: QUEUE_URL,
      Entries: [
        { Id: '0', MessageBody: '{"label":"a"}', MessageGroupId: 'robot:r-1', MessageDeduplicationId: 'dedup-a' },
        { Id: '1', MessageBody: '{"label":"b"}', MessageGroupId: 'sensor:s-1', MessageDeduplicationId: 'dedup-b' },
      ],
    });
  });

  it('uses at most 10 entries per call', async () => {
    answerBatches({});
    const messages = Array.from({ length: 25 }, (_, i) => message(`robot:r-${i}`, `m${i}`));
    await new SqsEventQueue(client, QUEUE_URL, noDelay).send(messages);
    expect(sentBatches().map((b) => b.length)).toEqual([10, 10, 5]);
    expect(sentBatches().flat().sort()).toEqual(messages.map((_, i) => `m${i}`).sort());
  });

  it('does nothing for no messages', async () => {
    answerBatches({});
    await new SqsEventQueue(client, QUEUE_URL, noDelay).send([]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('retries only the failed entries of a partially failed batch, then succeeds', async () => {
    answerBatches({ b: { code: 'ThrottlingException', senderFault: false, times: 2 } });
    await new SqsEventQueue(client, QUEUE_URL, noDelay).send([
      message('robot:r-1', 'a'),
      message('robot:r-2', 'b'),
      message('robot:r-3', 'c'),
    ]);
    expect(sentBatches()).toEqual([['a', 'b', 'c'], ['b'], ['b']]);
    // The retried entry keeps its group and dedup id.
    const retry = sqs.commandCalls(SendMessageBatchCommand)[1]!.args[0].input.Entries![0]!;
    expect(retry).toMatchObject({ MessageGroupId: 'robot:r-2', MessageDeduplicationId: 'dedup-b' });
  });

  it('waits with the configured backoff between attempts', async () => {
    answerBatches({ a: { code: 'InternalError', senderFault: false, times: 2 } });
    const attempts: number[] = [];
    const queue = new SqsEventQueue(client, QUEUE_URL, {
      backoffMs: (attempt) => {
        attempts.push(attempt);
        return 0;
      },
    });
    await queue.send([message('robot:r-1', 'a')]);
    expect(attempts).toEqual([1, 2]);
  });

  it('does not retry a sender fault; rejects with QueueSendError naming the code', async () => {
    answerBatches({ b: { code: 'InvalidParameterValue', senderFault: true, times: 99 } });
    const send = new SqsEventQueue(client, QUEUE_URL, noDelay).send([
      message('robot:r-1', 'a'),
      message('robot:r-2', 'b'),
    ]);
    const error = await send.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueSendError);
    expect((error as QueueSendError).name).toBe('QueueSendError');
    expect((error as QueueSendError).message).toContain('InvalidParameterValue');
    expect((error as QueueSendError).failures).toEqual([
      expect.objectContaining({ Id: '1', Code: 'InvalidParameterValue', SenderFault: true }),
    ]);
    expect(sentBatches()).toEqual([['a', 'b']]);
  });

  it('gives up after maxAttempts with QueueSendError', async () => {
    answerBatches({ a: { code: 'ServiceUnavailable', senderFault: false, times: 99 } });
    const send = new SqsEventQueue(client, QUEUE_URL, { ...noDelay, maxAttempts: 3 }).send([message('robot:r-1', 'a')]);
    await expect(send).rejects.toThrow(QueueSendError);
    await expect(send).rejects.toThrow(/after 3 attempt\(s\): ServiceUnavailable/);
    expect(sentBatches()).toEqual([['a'], ['a'], ['a']]);
  });

  it('defaults to 5 attempts', async () => {
    answerBatches({ a: { code: 'ServiceUnavailable', senderFault: false, times: 99 } });
    await expect(new SqsEventQueue(client, QUEUE_URL, noDelay).send([message('robot:r-1', 'a')])).rejects.toThrow(
      /after 5 attempt/,
    );
    expect(sentBatches()).toHaveLength(5);
  });

  it('retries a failed entry of a group before the next message of that group is sent', async () => {
    answerBatches({ a1: { code: 'ThrottlingException', senderFault: false, times: 1 } });
    await new SqsEventQueue(client, QUEUE_URL, noDelay).send([
      message('robot:r-1', 'a1'),
      message('robot:r-1', 'a2'),
      message('sensor:s-1', 'b1'),
      message('robot:r-1', 'a3'),
    ]);
    const order = sentBatches();
    expect(order).toEqual([['a1', 'b1'], ['a1'], ['a2'], ['a3']]);
    const firstA2 = order.findIndex((batch) => batch.includes('a2'));
    const lastA1 = order.findLastIndex((batch) => batch.includes('a1'));
    expect(lastA1).toBeLessThan(firstA2);
  });

  it('sends nothing more of a group whose message could not be queued', async () => {
    answerBatches({ a1: { code: 'ServiceUnavailable', senderFault: false, times: 99 } });
    const send = new SqsEventQueue(client, QUEUE_URL, { ...noDelay, maxAttempts: 2 }).send([
      message('robot:r-1', 'a1'),
      message('robot:r-1', 'a2'),
    ]);
    await expect(send).rejects.toThrow(QueueSendError);
    expect(sentBatches().flat()).not.toContain('a2');
  });

  it('propagates a client error (e.g. network) as a rejection', async () => {
    sqs.on(SendMessageBatchCommand).rejects(new Error('socket hang up'));
    await expect(new SqsEventQueue(client, QUEUE_URL, noDelay).send([message('robot:r-1', 'a')])).rejects.toThrow(
      'socket hang up',
    );
  });
});

describe('SqsDeadLetterQueue.sendPoison', () => {
  it('sends the body with group, dedup id and the reason as a message attribute', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    await new SqsDeadLetterQueue(client, 'https://dlq.example/audit-events-dlq.fifo').sendPoison({
      groupId: 'robot:r-1',
      deduplicationId: 'dedup-1',
      body: '{"events":[]}',
      reason: 'body is not a batch of valid events',
    });
    expect(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input).toEqual({
      QueueUrl: 'https://dlq.example/audit-events-dlq.fifo',
      MessageBody: '{"events":[]}',
      MessageGroupId: 'robot:r-1',
      MessageDeduplicationId: 'dedup-1',
      MessageAttributes: { reason: { DataType: 'String', StringValue: 'body is not a batch of valid events' } },
    });
  });

  it('sends the original message id as the originalMessageId attribute', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-2' });
    await new SqsDeadLetterQueue(client, 'https://dlq.example/q.fifo').sendPoison({
      groupId: 'robot:r-1',
      deduplicationId: 'm-1:1',
      body: '{"format":"trail.dead-letter/1"}',
      reason: 'the store refused the event: bad (22P05)',
      originalMessageId: 'm-1',
    });
    expect(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input).toMatchObject({
      MessageGroupId: 'robot:r-1',
      MessageDeduplicationId: 'm-1:1',
      MessageAttributes: {
        reason: { DataType: 'String', StringValue: 'the store refused the event: bad (22P05)' },
        originalMessageId: { DataType: 'String', StringValue: 'm-1' },
      },
    });
  });

  it('truncates a very long reason', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    await new SqsDeadLetterQueue(client, 'https://dlq.example/q.fifo').sendPoison({
      groupId: 'g',
      deduplicationId: 'd',
      body: 'b',
      reason: 'r'.repeat(5000),
    });
    const value = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.MessageAttributes?.['reason']?.StringValue;
    expect(value?.length).toBe(1024);
  });

  it('rejects when SQS does', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('AccessDenied'));
    await expect(
      new SqsDeadLetterQueue(client, 'https://dlq.example/q.fifo').sendPoison({
        groupId: 'g',
        deduplicationId: 'd',
        body: 'b',
        reason: 'r',
      }),
    ).rejects.toThrow('AccessDenied');
  });
});
