import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { WRITER_BATCH_SIZE } from '../../core/contracts/queue.ts';

export interface EventSourceOptions {
  client: SQSClient;
  queueUrl: string;
  queueArn?: string;
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>;
  batchSize?: number;
  /** Parallel pollers; FIFO keeps one message group in flight at a time, so groups still stay ordered. */
  concurrency?: number;
  onError?: (error: unknown) => void;
}

/**
 * Plays Lambda's SQS FIFO event source mapping: receives batches (≤ WRITER_BATCH_SIZE), invokes the handler, deletes
 * what it processed and leaves reported failures to reappear after the visibility timeout (the queue's redrive policy
 * moves them to the DLQ after MAX_RECEIVE_COUNT receives).
 */
export class SqsEventSource {
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly options: EventSourceOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = Array.from({ length: this.options.concurrency ?? 2 }, () => this.loop());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Resolves true once the queue holds no message (visible or in flight), false if `timeoutMs` passes first. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await this.depth()) === 0) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }

  depth(): Promise<number> {
    return queueDepth(this.options.client, this.options.queueUrl);
  }

  /** Runs one receive → invoke → delete cycle; returns how many messages it received. */
  async pollOnce(waitTimeSeconds = 1): Promise<number> {
    const { client, queueUrl } = this.options;
    const received = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: this.options.batchSize ?? WRITER_BATCH_SIZE,
        WaitTimeSeconds: waitTimeSeconds,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) return 0;
    let failed: Set<string>;
    try {
      const response = await this.options.handler({ Records: messages.map((m) => this.toRecord(m)) });
      failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    } catch (error) {
      // A thrown handler fails the whole batch, as on Lambda.
      this.options.onError?.(error);
      return messages.length;
    }
    const done = messages.filter((m) => !failed.has(m.MessageId!));
    if (done.length > 0) {
      await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    return messages.length;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        await this.pollOnce();
      } catch (error) {
        this.options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  private toRecord(message: Message): SQSRecord {
    const attributes = message.Attributes ?? {};
    return {
      messageId: message.MessageId!,
      receiptHandle: message.ReceiptHandle!,
      body: message.Body ?? '',
      attributes: {
        ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
        SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
        SenderId: attributes.SenderId ?? 'local',
        ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        ...(attributes.SequenceNumber && { SequenceNumber: attributes.SequenceNumber }),
        ...(attributes.MessageGroupId && { MessageGroupId: attributes.MessageGroupId }),
        ...(attributes.MessageDeduplicationId && { MessageDeduplicationId: attributes.MessageDeduplicationId }),
      },
      messageAttributes: {},
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.options.queueArn ?? 'arn:aws:sqs:local:000000000000:audit-events.fifo',
      awsRegion: 'local',
    };
  }
}

const DEPTH_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
] as const;

/** Messages visible, in flight or delayed. */
export async function queueDepth(client: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...DEPTH_ATTRIBUTES] }),
  );
  return DEPTH_ATTRIBUTES.reduce((sum, name) => sum + Number(Attributes[name] ?? 0), 0);
}
