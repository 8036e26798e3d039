import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { mayAccess, QUERY_ROUTES, type QueryRoute } from '../core/access/policy.ts';
import { principalFromClaims } from '../core/access/principal.ts';
import { type Clock, systemClock } from '../core/ports/events.ts';
import { QueueAccessAuditor } from '../core/query/access-auditor.ts';
import type { AccessAuditor, QueryStore, SavedViewStore } from '../core/ports/query.ts';
import { SqsEventQueue } from '../adapters/sqs/sqs-queue.ts';
import { catalogFromEnv, loadConfig, queueUrl } from './runtime/config.ts';
import { jsonResponse } from './runtime/http.ts';
import { lambdaHandler } from './runtime/lambda.ts';
import { tracer } from './runtime/observability.ts';
import { PgQueryStore } from '../adapters/postgres/pg-query-store.ts';
import { createPool, databaseOptionsFromEnv } from '../adapters/postgres/pool.ts';
import { PgSavedViews } from '../adapters/postgres/saved-views.ts';
import { type QueryApiResult, ROUTES } from './query-api-routes.ts';

export type { QueryApiResult } from './query-api-routes.ts';

export interface QueryApiDeps {
  store: QueryStore;
  views: SavedViewStore;
  audit: AccessAuditor;
  clock?: Clock;
  /** The local stack streams exports; API Gateway cannot, so on Lambda they are buffered (and capped). */
  streamExports?: boolean;
}

const isRoute = (key: string): key is QueryRoute => (QUERY_ROUTES as readonly string[]).includes(key);

/** The query API: authenticate, check route × role (shared/core/access/policy.ts), then the route. */
export function createQueryApiHandler({
  store,
  views,
  audit,
  clock = systemClock,
  streamExports = false,
}: QueryApiDeps) {
  const deps = { store, views, audit, clock, streamExports };
  return async (event: APIGatewayProxyEventV2WithJWTAuthorizer): Promise<QueryApiResult> => {
    const principal = principalFromClaims(event.requestContext.authorizer?.jwt?.claims);
    if (!principal)
      return jsonResponse(401, { error: 'missing or invalid credentials: send Authorization: Bearer <token>' });
    const route = event.routeKey;
    if (!isRoute(route)) return jsonResponse(404, { error: `no route ${route}` });
    if (!mayAccess(principal, route))
      return jsonResponse(403, { error: `role ${principal.roles.join(',') || '(none)'} may not use ${route}` });
    const sourceIp = event.requestContext.http?.sourceIp;
    const read = { principal, route, query: event.queryStringParameters ?? {}, ...(sourceIp && { sourceIp }) };
    return ROUTES[route]({ deps, principal, event, read });
  };
}

export const handler = lambdaHandler(() => {
  const config = loadConfig({ QUEUE_URL: queueUrl });
  const pool = createPool({ ...databaseOptionsFromEnv(), max: 2 });
  const queue = new SqsEventQueue(tracer.captureAWSv3Client(new SQSClient({})), config.QUEUE_URL);
  return createQueryApiHandler({
    store: new PgQueryStore(pool),
    views: new PgSavedViews(pool),
    audit: new QueueAccessAuditor(queue, catalogFromEnv()),
  });
});
