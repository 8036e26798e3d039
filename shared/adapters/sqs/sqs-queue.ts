import {
  type BatchResultErrorEntry,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { chunkBatch, planSendRounds } from '../../core/ingest/packing.ts';
import type { DeadLetterMessage, DeadLetterQueue, EventQueue, QueueMessage } from '../../core/ports/events.ts';

export class QueueSendError extends Error {
  constructor(
    message: string,
    readonly failures: readonly BatchResultErrorEntry[],
  ) {
    super(message);
    this.name = 'QueueSendError';
  }
}

export interface SqsQueueOptions {
  /** Attempts per entry before giving up (transient throttling or service errors). */
  maxAttempts?: number;
  /** Delay before retry n (1-based), in ms. */
  backoffMs?: (attempt: number) => number;
}

const defaultBackoff = (attempt: number) => Math.min(1000, 50 * 2 ** (attempt - 1));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The FIFO queue behind ingest. `send` resolves only when every message is on the queue. */
export class SqsEventQueue implements EventQueue {
  private readonly maxAttempts: number;
  private readonly backoffMs: (attempt: number) => number;

  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    options: SqsQueueOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.backoffMs = options.backoffMs ?? defaultBackoff;
  }

  async send(messages: readonly QueueMessage[]): Promise<void> {
    for (const round of planSendRounds(messages)) {
      await Promise.all(chunkBatch(round).map((batch) => this.sendBatch(batch)));
    }
  }

  private async sendBatch(batch: readonly QueueMessage[]): Promise<void> {
    let pending = batch.map((message, index) => ({ id: String(index), message }));
    for (let attempt = 1; ; attempt++) {
      const result = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: pending.map(({ id, message }) => ({
            Id: id,
            MessageBody: message.body,
            MessageGroupId: message.groupId,
            MessageDeduplicationId: message.deduplicationId,
          })),
        }),
      );
      const failed = result.Failed ?? [];
      if (failed.length === 0) return;
      const permanent = failed.filter((entry) => entry.SenderFault);
      if (permanent.length > 0 || attempt >= this.maxAttempts) {
        const reasons = failed.map((entry) => `${entry.Code}: ${entry.Message ?? ''}`).join('; ');
        throw new QueueSendError(
          `${failed.length} message(s) could not be queued after ${attempt} attempt(s): ${reasons}`,
          failed,
        );
      }
      const failedIds = new Set(failed.map((entry) => entry.Id));
      pending = pending.filter(({ id }) => failedIds.has(id));
      await sleep(this.backoffMs(attempt));
    }
  }
}

/**
 * The FIFO dead-letter queue; the writer parks what it can never store there (an event alone, or an unparseable
 * message whole; core/writer/dead-letter.ts), in the original message group, with the reason.
 */
export class SqsDeadLetterQueue implements DeadLetterQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async sendPoison(message: DeadLetterMessage): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: message.body,
        MessageGroupId: message.groupId,
        MessageDeduplicationId: message.deduplicationId,
        MessageAttributes: {
          reason: { DataType: 'String', StringValue: message.reason.slice(0, 1024) },
          ...(message.originalMessageId && {
            originalMessageId: { DataType: 'String', StringValue: message.originalMessageId },
          }),
        },
      }),
    );
  }
}
