import { gunzipSync } from 'node:zlib';
import type { CloudWatchLogsDecodedData, CloudWatchLogsEvent } from 'aws-lambda';
import { createSqsClient } from '../adapters/sqs/client.ts';
import { SqsEventQueue } from '../adapters/sqs/sqs-queue.ts';
import type { EventCatalog } from '../core/domain/catalog.ts';
import { interactionFromAccessLog } from '../core/interactions/access-log.ts';
import { QueueInteractionLog } from '../core/interactions/interaction-log.ts';
import type { Clock, EventQueue } from '../core/ports/events.ts';
import type { IngestWiring } from './ingest-http.ts';
import { catalogFromEnv, loadConfig, queueUrl } from './runtime/config.ts';
import { logger, traced } from './runtime/observability.ts';

export interface InteractionLogResult {
  recorded: number;
  /** Lines that were no access log line (logged with the reason). */
  unreadable: number;
}

/**
 * The interaction log on AWS: API Gateway's access log (every request, the authorizer's 401s, unmatched routes and
 * throttled 429s included) reaches this function through a subscription filter; each line becomes an
 * `audit.api.request` event on the queue. Identical failures of a batch are summarized per minute; a flood spread
 * over several batches leaves at most one first record and one summary per batch and minute. A queue failure rejects
 * the invocation, which CloudWatch Logs retries.
 */
export function createInteractionLogHandler({
  queue,
  catalog,
  clock,
}: {
  queue: EventQueue;
  catalog: EventCatalog;
  clock?: Clock;
}) {
  return async (event: CloudWatchLogsEvent): Promise<InteractionLogResult> => {
    const data = JSON.parse(
      gunzipSync(Buffer.from(event.awslogs.data, 'base64')).toString('utf8'),
    ) as CloudWatchLogsDecodedData;
    // CloudWatch Logs checks that it may deliver with a CONTROL_MESSAGE: no access log in it.
    if (data.messageType !== 'DATA_MESSAGE') return { recorded: 0, unreadable: 0 };
    const log = new QueueInteractionLog(queue, catalog, clock);
    let recorded = 0;
    let unreadable = 0;
    for (const { id, message } of data.logEvents) {
      const parsed = interactionFromAccessLog(message);
      if (!parsed.ok) {
        unreadable++;
        logger.warn('access log line is no interaction', {
          logEventId: id,
          logGroup: data.logGroup,
          reason: parsed.reason,
        });
        continue;
      }
      await log.record(parsed.interaction);
      recorded++;
    }
    await log.drain();
    return { recorded, unreadable };
  };
}

/** The Lambda wiring, from the function's environment (functions/interaction-log/handler.ts). */
export function interactionLogFromEnvironment() {
  const config = loadConfig({ QUEUE_URL: queueUrl });
  return composeInteractionLog({
    sqs: traced(createSqsClient({})),
    queueUrl: config.QUEUE_URL,
    catalog: catalogFromEnv(),
  });
}

export function composeInteractionLog(wiring: IngestWiring) {
  return createInteractionLogHandler({
    queue: new SqsEventQueue(wiring.sqs, wiring.queueUrl),
    catalog: wiring.catalog,
  });
}
