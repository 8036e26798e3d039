import type { StoredEvent } from '../domain/event.ts';

/** A FIFO queue message: the events of one entity, in order. */
export interface QueueMessage {
  /** SQS MessageGroupId: the entity key (`robot:r-17`), so one entity's events stay ordered. */
  groupId: string;
  /** SQS MessageDeduplicationId: derived from the event ids, so a resend of the same events is dropped. */
  deduplicationId: string;
  body: string;
}

/** Where ingest puts accepted events. Resolves only when every message is on the queue. */
export interface EventQueue {
  send(messages: readonly QueueMessage[]): Promise<void>;
}

/** A message for the dead-letter queue: what it holds is described in core/writer/dead-letter.ts. */
export interface DeadLetterMessage extends QueueMessage {
  /** Why it can never be written (sent as the `reason` message attribute). */
  reason: string;
  /** The SQS message id it came in (sent as the `originalMessageId` attribute); unknown when it was not sent with one. */
  originalMessageId?: string;
}

/** Where what can never be written goes: a refused event alone, or a message that cannot be parsed, whole. */
export interface DeadLetterQueue {
  sendPoison(message: DeadLetterMessage): Promise<void>;
}

/** The append-only event store the writer fills. */
export interface EventWriter {
  /**
   * Inserts the events; one already stored (a redelivery) is skipped. Resolves to the events that were new, in
   * batch order: what was really written, for metrics that must not count a redelivered event twice.
   */
  insert(events: readonly StoredEvent[]): Promise<StoredEvent[]>;
}

/** The clock, passed in so tests and `--now` can rehearse any instant. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();
