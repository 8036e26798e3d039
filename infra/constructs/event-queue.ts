import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MAX_RECEIVE_COUNT, WRITER_BATCH_SIZE } from '../../shared/core/contracts/queue.ts';

/** Lambda's guidance: the visibility timeout is at least six times the consumer's timeout, so retries don't overlap. */
export const VISIBILITY_TO_TIMEOUT_RATIO = 6;

/**
 * The ingest buffer: a FIFO queue (one message group per entity keeps each entity's events in order) in
 * high-throughput mode, and a FIFO dead-letter queue. Producers set the deduplication ids from the event ids,
 * so content-based deduplication stays off.
 */
export class EventQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: { consumerTimeout: Duration }) {
    super(scope, id);
    const fifo = {
      fifo: true,
      contentBasedDeduplication: false,
      deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    } satisfies sqs.QueueProps;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', fifo);
    this.queue = new sqs.Queue(this, 'Events', {
      ...fifo,
      visibilityTimeout: Duration.seconds(props.consumerTimeout.toSeconds() * VISIBILITY_TO_TIMEOUT_RATIO),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
  }

  /** Lets an ingest function enqueue events (`QUEUE_URL`). */
  addProducer(fn: lambda.Function): void {
    this.queue.grantSendMessages(fn);
    fn.addEnvironment('QUEUE_URL', this.queue.queueUrl);
  }

  /**
   * Lets the query API's operations view read both queues' depth (sqs:GetQueueAttributes only: no message is
   * received or deleted), the dead-letter queue as `DLQ_URL`, and the events queue's name (`EVENTS_QUEUE_NAME`), the
   * dimension of its CloudWatch metrics.
   */
  addMonitor(fn: lambda.Function): void {
    for (const queue of [this.queue, this.deadLetterQueue])
      queue.grant(fn, 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl');
    fn.addEnvironment('DLQ_URL', this.deadLetterQueue.queueUrl);
    fn.addEnvironment('EVENTS_QUEUE_NAME', this.queue.queueName);
  }

  /**
   * Feeds the writer: batches of 10, partial batch failures reported per message, and the right to move poison
   * messages to the dead-letter queue itself (`DLQ_URL`). `maxConcurrency` caps the database connections it opens.
   */
  addConsumer(fn: lambda.Function, options: { maxConcurrency: number }): void {
    fn.addEventSource(
      new sources.SqsEventSource(this.queue, {
        batchSize: WRITER_BATCH_SIZE,
        reportBatchItemFailures: true,
        maxConcurrency: options.maxConcurrency,
      }),
    );
    this.deadLetterQueue.grantSendMessages(fn);
    fn.addEnvironment('DLQ_URL', this.deadLetterQueue.queueUrl);
  }
}
