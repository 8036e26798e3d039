import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { mayAccess, QUERY_ROUTES, type QueryRoute } from '../../shared/access/policy.ts';
import { principalFromClaims } from '../../shared/ingest/principal.ts';
import { type Clock, systemClock } from '../../shared/ports/index.ts';
import { QueueAccessAuditor } from '../../shared/query/access-auditor.ts';
import type { AccessAuditor, QueryStore, SavedViewStore } from '../../shared/query/ports.ts';
import { SqsEventQueue } from '../../shared/queue/sqs-queue.ts';
import { catalogFromEnv, loadConfig, queueUrl } from '../../shared/runtime/config.ts';
import { jsonResponse } from '../../shared/runtime/http.ts';
import { lambdaHandler } from '../../shared/runtime/lambda.ts';
import { tracer } from '../../shared/runtime/observability.ts';
import { PgQueryStore } from '../../shared/store/pg-query-store.ts';
import { createPool, databaseOptionsFromEnv } from '../../shared/store/pool.ts';
import { PgSavedViews } from '../../shared/store/saved-views.ts';
import { type QueryApiResult, ROUTES } from './routes.ts';

export type { QueryApiResult } from './routes.ts';

export interface QueryApiDeps {
  store: QueryStore;
  views: SavedViewStore;
  audit: AccessAuditor;
  clock?: Clock;
  /** The local stack streams exports; API Gateway cannot, so on Lambda they are buffered (and capped). */
  streamExports?: boolean;
}

const isRoute = (key: string): key is QueryRoute => (QUERY_ROUTES as readonly string[]).includes(key);

/** The query API: authenticate, check route × role (shared/access/policy.ts), then the route. */
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
