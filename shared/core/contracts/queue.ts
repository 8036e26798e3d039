/**
 * How the event queue hands messages to the writer, the same on AWS (infra/constructs/event-queue.ts: the queue's
 * redrive policy and the writer's event source) and locally (shared/apps/local/sqs.ts: the fauxqs queues;
 * shared/apps/local/sqs-event-source.ts: the stand-in for Lambda's event source mapping).
 */

/** Receives of one message before its queue's redrive policy moves it to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;

/** Messages per writer invocation: SQS hands a Lambda at most 10 per batch from a FIFO queue. */
export const WRITER_BATCH_SIZE = 10;
