/** One message of a queue of messages given up on (the events DLQ, the IoT on-failure queue), as received. */
export interface HeldMessage {
  /** The SQS message id in this queue: what `trail dlq show|redrive <id>` names. */
  messageId: string;
  body: string;
  /** MessageGroupId (FIFO queues only): the entity key. */
  groupId?: string | undefined;
  /** ApproximateReceiveCount, as SQS counts it: the tool's own receives included. */
  receiveCount: number;
  /** SentTimestamp: when the message reached this queue (SQS resets it when it moves a FIFO message to its DLQ). */
  sentAt?: Date | undefined;
  /** The `reason` and `originalMessageId` message attributes the writer sets (core/writer/dead-letter.ts). */
  reason?: string | undefined;
  originalMessageId?: string | undefined;
}

/**
 * A queue read without consuming it: what `receive` returns stays invisible to every reader until it is released
 * or deleted (or its hold expires, when SQS shows it again). On a FIFO queue a held message also hides the later
 * messages of its group.
 */
export interface HoldingQueue {
  /** The next messages not held yet (at most 10), now held; [] when nothing more can be received. */
  receive(): Promise<HeldMessage[]>;
  /** Makes held messages visible again at once (unknown ids are ignored). */
  release(messageIds: readonly string[]): Promise<void>;
  /** Deletes a held message for good. */
  delete(messageId: string): Promise<void>;
  /** How many messages the queue holds, visible or not (approximate, as SQS counts). */
  depth(): Promise<number>;
}
