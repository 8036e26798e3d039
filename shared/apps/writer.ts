import type { Metrics } from '@aws-lambda-powertools/metrics';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { z } from 'zod';
import { IotAlertPublisher } from '../adapters/iot/iot-publisher.ts';
import { type AlertPublisher, publishCriticalAlerts } from '../core/writer/publish-critical.ts';
import { CRITICAL_ALERT_TOPIC } from '../core/contracts/alerts.ts';
import type { DeadLetterQueue, EventWriter } from '../core/ports/events.ts';
import { SqsDeadLetterQueue } from '../adapters/sqs/sqs-queue.ts';
import { deadLetterQueueUrl, loadConfig } from './runtime/config.ts';
import { lambdaHandler } from './runtime/lambda.ts';
import { logger, metrics, tracer } from './runtime/observability.ts';
import { PgEventStore } from '../adapters/postgres/pg-event-store.ts';
import { createPool, databaseOptionsFromEnv } from '../adapters/postgres/pool.ts';
import { emitEventMetrics } from '../core/writer/event-metrics.ts';
import { writeBatch } from '../core/writer/write-batch.ts';

export interface WriterDeps {
  store: EventWriter;
  deadLetters: DeadLetterQueue;
  /** Where CRITICAL events are published once stored (IoT Core on AWS, the local broker on a laptop). */
  alerts?: AlertPublisher;
  alertTopic?: string;
  /** Where the Events metrics go: the shared Powertools instance unless a test passes its own. */
  metrics?: Metrics;
}

/** SQS FIFO event source → PostgreSQL, answering partial batch failures (ReportBatchItemFailures). */
export function createWriterHandler(deps: WriterDeps) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const outcome = await writeBatch(
      event.Records.map((record) => ({
        messageId: record.messageId,
        groupId: record.attributes.MessageGroupId ?? '',
        deduplicationId: record.attributes.MessageDeduplicationId ?? record.messageId,
        body: record.body,
      })),
      {
        ...deps,
        ...(deps.alerts && {
          afterStored: (events) => publishCriticalAlerts(events, deps.alerts!, deps.alertTopic).then(() => undefined),
        }),
        log: (level, message, details) => logger[level](message, details),
      },
    );
    // Only what this delivery inserted: a redelivered event was counted when it was first stored.
    emitEventMetrics(deps.metrics ?? metrics, outcome.inserted);
    return { batchItemFailures: outcome.failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

export const handler = lambdaHandler(() => {
  const config = loadConfig({
    DLQ_URL: deadLetterQueueUrl,
    ALERT_TOPIC: z.string().min(1).default(CRITICAL_ALERT_TOPIC).describe('IoT topic CRITICAL events are published on'),
  });
  const sqs = tracer.captureAWSv3Client(new SQSClient({}));
  const pool = createPool({ ...databaseOptionsFromEnv(), max: 2 });
  return createWriterHandler({
    store: new PgEventStore(pool),
    deadLetters: new SqsDeadLetterQueue(sqs, config.DLQ_URL),
    alerts: IotAlertPublisher.fromEnvironment(),
    alertTopic: config.ALERT_TOPIC,
  });
});
