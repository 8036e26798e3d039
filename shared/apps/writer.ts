import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type pg from 'pg';
import { z } from 'zod';
import { IotAlertPublisher } from '../adapters/iot/iot-publisher.ts';
import { PgEventStore } from '../adapters/postgres/pg-event-store.ts';
import { createPool, databaseOptionsFromEnv } from '../adapters/postgres/pool.ts';
import { createSqsClient } from '../adapters/sqs/client.ts';
import { SqsDeadLetterQueue } from '../adapters/sqs/sqs-queue.ts';
import { CRITICAL_ALERT_TOPIC } from '../core/contracts/alerts.ts';
import type { AlertPublisher } from '../core/ports/alerts.ts';
import type { DeadLetterQueue, EventWriter } from '../core/ports/events.ts';
import { publishCriticalAlerts } from '../core/writer/publish-critical.ts';
import { writeBatch } from '../core/writer/write-batch.ts';
import { deadLetterQueueUrl, loadConfig } from './runtime/config.ts';
import { emitEventMetrics } from './runtime/event-metrics.ts';
import { logger, metrics, traced } from './runtime/observability.ts';

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

/** The Lambda wiring, from the function's environment (functions/writer/handler.ts). */
export function writerFromEnvironment() {
  const config = loadConfig({
    DLQ_URL: deadLetterQueueUrl,
    ALERT_TOPIC: z.string().min(1).default(CRITICAL_ALERT_TOPIC).describe('IoT topic CRITICAL events are published on'),
  });
  return composeWriter({
    pool: createPool({ ...databaseOptionsFromEnv(), max: 2 }),
    sqs: traced(createSqsClient({})),
    deadLetterQueueUrl: config.DLQ_URL,
    alerts: IotAlertPublisher.fromEnvironment(),
    alertTopic: config.ALERT_TOPIC,
  });
}

/** What the writer is made of, wherever it runs: the Lambda wiring above and the local stack both pass these. */
export interface WriterWiring {
  /** Logged in as audit_writer. */
  pool: pg.Pool;
  sqs: SQSClient;
  deadLetterQueueUrl: string;
  alerts?: AlertPublisher;
  alertTopic?: string;
}

/** The writer with its adapters: the PostgreSQL store and the SQS dead-letter queue. */
export function composeWriter(wiring: WriterWiring) {
  return createWriterHandler({
    store: new PgEventStore(wiring.pool),
    deadLetters: new SqsDeadLetterQueue(wiring.sqs, wiring.deadLetterQueueUrl),
    ...(wiring.alerts && { alerts: wiring.alerts }),
    ...(wiring.alertTopic && { alertTopic: wiring.alertTopic }),
  });
}
