import type { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createSqsClient } from '../adapters/sqs/client.ts';
import { SqsEventQueue } from '../adapters/sqs/sqs-queue.ts';
import { httpEmitterRoles } from '../core/access/emitters.ts';
import { hasAnyRole, principalFromClaims } from '../core/access/principal.ts';
import type { EventCatalog } from '../core/domain/catalog.ts';
import { acceptEvents } from '../core/ingest/accept.ts';
import { parseEventsBody } from '../core/ingest/http-body.ts';
import { type Clock, type EventQueue, systemClock } from '../core/ports/events.ts';
import { catalogFromEnv, loadConfig, queueUrl } from './runtime/config.ts';
import { header, jsonResponse, requestBody } from './runtime/http.ts';
import { logger, traced } from './runtime/observability.ts';

export interface IngestHttpDeps {
  queue: EventQueue;
  catalog: EventCatalog;
  clock?: Clock;
}

/**
 * POST /events: one event, a JSON array or NDJSON; 202 with the ids once all are queued, else 4xx naming every
 * problem (403 for types the role may not emit, 409 when the only problem is an id used for two different events of
 * the request).
 */
export function createIngestHttpHandler({ queue, catalog, clock = systemClock }: IngestHttpDeps) {
  // The roles the catalog lets emit something over HTTP: any other is refused before the body is read.
  const mayPost = httpEmitterRoles([...catalog.values()].map((definition) => definition.emitters));
  return async (event: APIGatewayProxyEventV2WithJWTAuthorizer): Promise<APIGatewayProxyStructuredResultV2> => {
    const principal = principalFromClaims(event.requestContext.authorizer?.jwt?.claims);
    if (!principal)
      return jsonResponse(401, { error: 'missing or invalid credentials: send Authorization: Bearer <token>' });
    if (!hasAnyRole(principal, mayPost)) {
      return jsonResponse(403, {
        error: `role ${principal.roles.join(',') || '(none)'} may not post events; needs one of ${mayPost.join(', ')}`,
      });
    }
    const body = parseEventsBody(header(event, 'content-type'), requestBody(event));
    if (!body.ok) return jsonResponse(body.status, { error: body.error, ...(body.issues && { issues: body.issues }) });

    const receivedAt = clock();
    try {
      const result = await acceptEvents(
        body.events,
        {
          catalog,
          receivedAt,
          actor: { type: 'user', id: principal.user },
          roles: principal.roles,
          source: {
            channel: 'http',
            principal: principal.user,
            ...(principal.clientId && { clientId: principal.clientId }),
            ...(event.requestContext.http?.sourceIp && { ip: event.requestContext.http.sourceIp }),
          },
        },
        queue,
      );
      if (!result.ok && result.forbidden) {
        return jsonResponse(403, {
          error: `${result.issues.length} of ${body.events.length} events are of types role ${principal.roles.join(',')} may not emit over HTTP; nothing was accepted`,
          issues: result.issues,
        });
      }
      if (!result.ok && result.idConflict) {
        return jsonResponse(409, {
          error: `${result.issues.length} event(s) reuse an id of another event of this request with different content; nothing was accepted`,
          issues: result.issues,
        });
      }
      if (!result.ok) {
        return jsonResponse(400, {
          error: `${new Set(result.issues.map((i) => i.index)).size} of ${body.events.length} events are invalid; nothing was accepted`,
          issues: result.issues,
        });
      }
      return jsonResponse(202, { accepted: result.events.length, ids: result.events.map((e) => e.id) });
    } catch (error) {
      logger.error('events could not be queued', { error: error as Error, count: body.events.length });
      return jsonResponse(
        503,
        { error: 'the events could not be queued; retry the same request (send event ids to make retries idempotent)' },
        { 'retry-after': '1' },
      );
    }
  };
}

/** The Lambda wiring, from the function's environment (functions/ingest-http/handler.ts). */
export function ingestHttpFromEnvironment() {
  const config = loadConfig({ QUEUE_URL: queueUrl });
  return composeIngestHttp({
    sqs: traced(createSqsClient({})),
    queueUrl: config.QUEUE_URL,
    catalog: catalogFromEnv(),
  });
}

/** What an ingest function is made of, wherever it runs (the Lambda wiring and the local stack). */
export interface IngestWiring {
  sqs: SQSClient;
  queueUrl: string;
  catalog: EventCatalog;
}

/** POST /events with its adapter: the SQS FIFO queue. */
export function composeIngestHttp(wiring: IngestWiring) {
  return createIngestHttpHandler({ queue: new SqsEventQueue(wiring.sqs, wiring.queueUrl), catalog: wiring.catalog });
}
