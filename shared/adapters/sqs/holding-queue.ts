import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { HeldMessage, HoldingQueue } from '../../core/ports/dead-letters.ts';

/** How long a receive holds messages: long enough for a listing of thousands, short enough to recover from a crash. */
export const HOLD_SECONDS = 120;

/**
 * An SQS queue read without consuming (`trail dlq`): each receive holds what it returns for HOLD_SECONDS
 * (VisibilityTimeout), `release` makes it visible again at once (ChangeMessageVisibility 0), and only `delete`
 * removes. A message received again after its hold expired is not returned twice.
 */
export class SqsHoldingQueue implements HoldingQueue {
  private readonly receipts = new Map<string, string>();

  constructor(
    private readonly client: SQSClient,
    readonly queueUrl: string,
    private readonly options: { waitTimeSeconds?: number } = {},
  ) {}

  async receive(): Promise<HeldMessage[]> {
    const { Messages = [] } = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: HOLD_SECONDS,
        // Long polling asks every SQS server, so an empty answer means empty (short polling samples a few).
        WaitTimeSeconds: this.options.waitTimeSeconds ?? 1,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const fresh: HeldMessage[] = [];
    for (const message of Messages) {
      if (!message.MessageId || !message.ReceiptHandle) continue;
      const seen = this.receipts.has(message.MessageId);
      this.receipts.set(message.MessageId, message.ReceiptHandle);
      if (!seen) fresh.push(toHeld(message));
    }
    return fresh;
  }

  async release(messageIds: readonly string[]): Promise<void> {
    const handles = messageIds.flatMap((id) => {
      const handle = this.receipts.get(id);
      return handle ? [{ id, handle }] : [];
    });
    for (let at = 0; at < handles.length; at += 10) {
      const chunk = handles.slice(at, at + 10);
      const { Failed = [] } = await this.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map(({ handle }, index) => ({
            Id: String(index),
            ReceiptHandle: handle,
            VisibilityTimeout: 0,
          })),
        }),
      );
      // Not fatal: an unreleased message shows again when its hold expires.
      if (Failed.length > 0)
        process.emitWarning(
          `${Failed.length} message(s) of ${this.queueUrl} not released (${Failed[0]?.Code}: ${Failed[0]?.Message}); they show again within ${HOLD_SECONDS} s`,
        );
    }
    for (const { id } of handles) this.receipts.delete(id);
  }

  async delete(messageId: string): Promise<void> {
    const handle = this.receipts.get(messageId);
    if (!handle) throw new Error(`message ${messageId} is not held: receive it first`);
    await this.client.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: handle }));
    this.receipts.delete(messageId);
  }

  async depth(): Promise<number> {
    const { Attributes = {} } = await this.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(Attributes.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  }
}

function toHeld(message: Message): HeldMessage {
  const system = message.Attributes ?? {};
  const custom = message.MessageAttributes ?? {};
  const sent = Number(system.SentTimestamp);
  return {
    messageId: message.MessageId!,
    body: message.Body ?? '',
    groupId: system.MessageGroupId,
    receiveCount: Number(system.ApproximateReceiveCount ?? 1),
    sentAt: Number.isFinite(sent) && system.SentTimestamp ? new Date(sent) : undefined,
    reason: custom.reason?.StringValue,
    originalMessageId: custom.originalMessageId?.StringValue,
  };
}
