import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../shared/apps/cli/main.ts';
import { redriveDeduplicationId } from '../../shared/core/dlq/events-dlq.ts';
import { packEvents } from '../../shared/core/ingest/packing.ts';
import { deadEventMessage } from '../../shared/core/writer/dead-letter.ts';
import { eventAbout } from '../support/events.ts';
import { INGEST_FAILURE_RECORD, RULE_EVENT } from './invocation-records.ts';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/audit-events.fifo';
const DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/audit-events-dlq.fifo';
const IOT_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/iot-failed-invocations';
const AWS = ['--queue-url', QUEUE_URL, '--dead-letter-queue-url', DLQ_URL];
const IOT = ['--queue', 'iot-failures', '--iot-failures-url', IOT_URL, '--iot-ingest-function', 'ingest-iot-fn'];

const sqs = mockClient(SQSClient);
const lambda = mockClient(LambdaClient);

let out: string[];
let err: string[];
beforeEach(() => {
  sqs.reset();
  lambda.reset();
  sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '0' } });
  sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  sqs.on(DeleteMessageCommand).resolves({});
  out = [];
  err = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** An SQS message as ReceiveMessage returns it from the DLQ. */
function received(id: string, body: string, groupId?: string, attributes: Record<string, string> = {}): Message {
  return {
    MessageId: id,
    ReceiptHandle: `handle-${id}`,
    Body: body,
    Attributes: {
      ApproximateReceiveCount: '6',
      SentTimestamp: '1778414700000',
      ...(groupId && { MessageGroupId: groupId }),
    },
    ...(Object.keys(attributes).length > 0 && {
      MessageAttributes: Object.fromEntries(
        Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
      ),
    }),
  };
}
const retried = (id: string, entity: string) => received(id, packEvents([eventAbout(entity)])[0]!.body, entity);

/** Receives answer these pages in turn, then nothing. */
function pages(...batches: Message[][]) {
  const receive = sqs.on(ReceiveMessageCommand);
  for (const batch of batches) receive.resolvesOnce({ Messages: batch });
  receive.resolves({});
}

const released = () =>
  sqs
    .commandCalls(ChangeMessageVisibilityBatchCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((entry) => [entry.ReceiptHandle, entry.VisibilityTimeout]);
const deleted = () => sqs.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input);

describe('trail dlq list on AWS', () => {
  it('pages past 10 messages, holding each page, and then releases every one: nothing consumed', async () => {
    const messages = Array.from({ length: 12 }, (_, i) => retried(`m-${i}`, `robot:r-${i}`));
    pages(messages.slice(0, 10), messages.slice(10));
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '12' } });

    expect(await main(['dlq', 'list', '--json', ...AWS])).toBe(0);

    const listed = out
      .join('')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(listed.map((summary) => [summary.id, summary.kind, summary.group])).toEqual(
      messages.map((m, i) => [m.MessageId, 'retries', `robot:r-${i}`]),
    );
    const receives = sqs.commandCalls(ReceiveMessageCommand).map((call) => call.args[0].input);
    expect(receives).toHaveLength(3);
    expect(receives.every((input) => input.QueueUrl === DLQ_URL && (input.VisibilityTimeout ?? 0) > 0)).toBe(true);
    expect(released()).toEqual(messages.map((m) => [m.ReceiptHandle, 0]));
    expect(deleted()).toEqual([]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toEqual([]);
  });

  it('says so when a FIFO queue holds more than it could list', async () => {
    pages([retried('m-1', 'robot:r-1')]);
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '3' } });
    expect(await main(['dlq', 'list', ...AWS])).toBe(0);
    expect(out.join('')).toMatch(/^ID\s+KIND\s+GROUP/);
    expect(err.join('')).toContain('2 more message(s)');
  });

  it('fails naming the variable when only one of the two URLs is given', async () => {
    expect(await main(['dlq', 'list', '--dead-letter-queue-url', DLQ_URL])).toBe(1);
    expect(err.join('')).toContain('QUEUE_URL is not set');
    expect(sqs.calls()).toEqual([]);
  });
});

describe('trail dlq redrive on AWS', () => {
  it('resends each message to the events queue in its group with the derived deduplication id, then deletes it', async () => {
    const event = eventAbout('robot:r-2');
    const dead = deadEventMessage({
      reason: 'refused (22P05)',
      sqlState: '22P05',
      messageId: 'orig-1',
      groupId: 'robot:r-2',
      eventIndex: 0,
      event,
    });
    const moved = retried('m-1', 'robot:r-1');
    pages([moved, received('m-2', dead.body, 'robot:r-2', { reason: dead.reason, originalMessageId: 'orig-1' })]);
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });

    expect(await main(['dlq', 'redrive', '--all', ...AWS])).toBe(0);

    const sent = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);
    expect(sent.map((input) => input.QueueUrl)).toEqual([QUEUE_URL, QUEUE_URL]);
    expect(sent.map((input) => input.Entries![0]!)).toEqual([
      expect.objectContaining({
        MessageGroupId: 'robot:r-1',
        MessageDeduplicationId: redriveDeduplicationId('m-1'),
        MessageBody: moved.Body,
      }),
      expect.objectContaining({
        MessageGroupId: 'robot:r-2',
        MessageDeduplicationId: redriveDeduplicationId('m-2'),
        MessageBody: JSON.stringify({ events: [event] }),
      }),
    ]);
    expect(deleted()).toEqual([
      { QueueUrl: DLQ_URL, ReceiptHandle: 'handle-m-1' },
      { QueueUrl: DLQ_URL, ReceiptHandle: 'handle-m-2' },
    ]);
    // Each delete follows its own resend.
    const order = sqs.calls().map((call) => call.args[0].constructor.name);
    expect(order.filter((name) => /SendMessageBatch|DeleteMessage/.test(name))).toEqual([
      'SendMessageBatchCommand',
      'DeleteMessageCommand',
      'SendMessageBatchCommand',
      'DeleteMessageCommand',
    ]);
    expect(out.join('')).toContain('redriven: 2');
  });

  it('a resend that fails deletes nothing, stops, releases what it held and exits 1', async () => {
    pages([retried('m-1', 'robot:r-1'), retried('m-2', 'robot:r-2')]);
    sqs.on(SendMessageBatchCommand).rejects(new Error('AccessDenied: not allowed to send'));

    expect(await main(['dlq', 'redrive', '--all', ...AWS])).toBe(1);

    expect(deleted()).toEqual([]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
    expect(released()).toEqual([
      ['handle-m-1', 0],
      ['handle-m-2', 0],
    ]);
    expect(out.join('')).toContain('failed     m-1: not resent, left in the dead-letter queue: AccessDenied');
    expect(err.join('')).toContain('1 message(s) not redriven');
  });

  it('redrives only the ids given, releases the others, and reports an id it never received', async () => {
    pages([retried('m-1', 'robot:r-1'), retried('m-2', 'robot:r-2')]);
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });

    expect(await main(['dlq', 'redrive', 'm-2', 'm-404', '--json', ...AWS])).toBe(1);

    expect(deleted()).toEqual([{ QueueUrl: DLQ_URL, ReceiptHandle: 'handle-m-2' }]);
    expect(released()).toEqual([['handle-m-1', 0]]);
    const outcomes = out
      .join('')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(outcomes.map((o) => [o.id, o.status])).toEqual([
      ['m-2', 'redriven'],
      ['m-404', 'not-found'],
    ]);
  });
});

describe('trail dlq on the IoT on-failure queue', () => {
  it('redrive invokes the ingest function synchronously with the requestPayload, then deletes the record', async () => {
    pages([received('i-1', JSON.stringify(INGEST_FAILURE_RECORD))]);
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify({ accepted: ['e-1'] })) as never });

    expect(await main(['dlq', 'redrive', '--all', ...IOT])).toBe(0);

    const invokes = lambda.commandCalls(InvokeCommand).map((call) => call.args[0].input);
    expect(invokes).toHaveLength(1);
    expect(invokes[0]).toMatchObject({ FunctionName: 'ingest-iot-fn', InvocationType: 'RequestResponse' });
    expect(JSON.parse(new TextDecoder().decode(invokes[0]!.Payload as Uint8Array))).toEqual(RULE_EVENT);
    expect(deleted()).toEqual([{ QueueUrl: IOT_URL, ReceiptHandle: 'handle-i-1' }]);
    expect(out.join('')).toContain('redriven   i-1: 1 event(s) accepted');
  });

  it('a device message the function now rejects is handled, as any rejection: deleted, the reason printed', async () => {
    pages([received('i-1', JSON.stringify(INGEST_FAILURE_RECORD))]);
    const rejected = { rejected: '1 event(s) from plc-7 refused', issues: [] };
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(rejected)) as never });

    expect(await main(['dlq', 'redrive', 'i-1', ...IOT])).toBe(0);
    expect(deleted()).toEqual([{ QueueUrl: IOT_URL, ReceiptHandle: 'handle-i-1' }]);
    expect(out.join('')).toContain('redriven   i-1: the function rejected it: 1 event(s) from plc-7 refused');
  });

  it('a function error keeps the record', async () => {
    pages([received('i-1', JSON.stringify(INGEST_FAILURE_RECORD))]);
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: new TextEncoder().encode('{"errorMessage":"queue down"}') as never,
    });

    expect(await main(['dlq', 'redrive', '--all', ...IOT])).toBe(1);
    expect(deleted()).toEqual([]);
    expect(released()).toEqual([['handle-i-1', 0]]);
  });

  it('list shows the device and topic', async () => {
    pages([received('i-1', JSON.stringify(INGEST_FAILURE_RECORD))]);
    expect(await main(['dlq', 'list', '--json', ...IOT])).toBe(0);
    expect(JSON.parse(out.join(''))).toMatchObject({ group: 'device:plc-7', topic: 'audit/plc-7/events' });
  });
});
