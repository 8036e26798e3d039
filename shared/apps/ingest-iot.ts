import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { createSqsClient } from '../adapters/sqs/client.ts';
import { SqsEventQueue } from '../adapters/sqs/sqs-queue.ts';
import { INGEST_METRICS } from '../core/contracts/metrics.ts';
import type { EventCatalog } from '../core/domain/catalog.ts';
import type { EventIssue } from '../core/domain/event.ts';
import { acceptEvents } from '../core/ingest/accept.ts';
import { readIotRuleEvent } from '../core/ingest/iot-message.ts';
import type { EventQueue } from '../core/ports/events.ts';
import type { IngestWiring } from './ingest-http.ts';
import { catalogFromEnv, loadConfig, queueUrl } from './runtime/config.ts';
import { logger, metrics, traced } from './runtime/observability.ts';

export interface IngestIotDeps {
  queue: EventQueue;
  catalog: EventCatalog;
}

export type IngestIotResult = { accepted: string[] } | { rejected: string; issues: EventIssue[] };

/**
 * Invoked by the IoT topic rule (the rules engine's SQS action cannot target FIFO queues) with the device's bytes in
 * base64 beside the rule's own fields (`IOT_RULE_SQL`). The thing name from the topic, which the IoT policy ties to
 * the connection, becomes actor and source, with the connection's client id; identity in the payload is refused, and
 * so are types a device may not emit (the catalog's `emitters`: a device sends as `iot:device`).
 * A device gets no reply, so rejections are logged and counted; queue failures throw so Lambda retries (and, once
 * it gives up, sends the event to the on-failure queue).
 */
export function createIngestIotHandler({ queue, catalog }: IngestIotDeps) {
  return async (input: unknown): Promise<IngestIotResult> => {
    const message = readIotRuleEvent(input);
    if (!message.ok) {
      logger.warn('IoT message rejected', { reason: message.error });
      metrics.addMetric(INGEST_METRICS.rejected, MetricUnit.Count, 1);
      return { rejected: message.error, issues: [] };
    }
    const result = await acceptEvents(
      message.events,
      {
        catalog,
        receivedAt: message.receivedAt,
        actor: { type: 'device', id: message.thing },
        roles: ['device'],
        source: { channel: 'iot', principal: message.thing, ...(message.clientId && { clientId: message.clientId }) },
      },
      queue,
    );
    if (!result.ok) {
      const why = result.forbidden ? ': types a device may not emit' : '';
      logger.warn(`IoT events rejected${why}`, { thing: message.thing, issues: result.issues });
      metrics.addMetric(INGEST_METRICS.rejected, MetricUnit.Count, message.events.length);
      return {
        rejected: `${message.events.length} event(s) from ${message.thing} refused${why}`,
        issues: result.issues,
      };
    }
    metrics.addMetric(INGEST_METRICS.accepted, MetricUnit.Count, result.events.length);
    return { accepted: result.events.map((event) => event.id) };
  };
}

/** The Lambda wiring, from the function's environment (functions/ingest-iot/handler.ts). */
export function ingestIotFromEnvironment() {
  const config = loadConfig({ QUEUE_URL: queueUrl });
  return composeIngestIot({
    sqs: traced(createSqsClient({})),
    queueUrl: config.QUEUE_URL,
    catalog: catalogFromEnv(),
  });
}

/** The IoT rule's function with its adapter: the SQS FIFO queue. */
export function composeIngestIot(wiring: IngestWiring) {
  return createIngestIotHandler({ queue: new SqsEventQueue(wiring.sqs, wiring.queueUrl), catalog: wiring.catalog });
}
