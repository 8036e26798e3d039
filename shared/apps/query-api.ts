import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import type pg from 'pg';
import { z } from 'zod';
import { PgQueryStore } from '../adapters/postgres/pg-query-store.ts';
import { createPool, databaseOptionsFromEnv } from '../adapters/postgres/pool.ts';
import { PgSavedViews } from '../adapters/postgres/saved-views.ts';
import { readCursorSecret } from '../adapters/secrets-manager/cursor-secret.ts';
import { SqsEventQueue } from '../adapters/sqs/sqs-queue.ts';
import { mayAccess, QUERY_ROUTES, type QueryRoute } from '../core/access/policy.ts';
import { principalFromClaims } from '../core/access/principal.ts';
import { type Clock, systemClock } from '../core/ports/events.ts';
import type { AccessAuditor, QueryStore, SavedViewStore } from '../core/ports/query.ts';
import { AccessNotRecordedError, QueueAccessAuditor } from '../core/query/access-auditor.ts';
import { type CursorSigner, hmacCursorSigner } from '../core/query/page-cursor.ts';
import type { IngestWiring } from './ingest-http.ts';
import { type QueryApiResult, ROUTES } from './query-api-routes.ts';
import { catalogFromEnv, loadConfig, queueUrl } from './runtime/config.ts';
import { jsonResponse } from './runtime/http.ts';
import { traced } from './runtime/observability.ts';
import { onceSucceeded } from './runtime/once.ts';

export type { QueryApiResult } from './query-api-routes.ts';

export interface QueryApiDeps {
  store: QueryStore;
  views: SavedViewStore;
  audit: AccessAuditor;
  /** Signs paging cursors with the deployment's secret (hmacCursorSigner). */
  cursors: CursorSigner;
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
  cursors,
  clock = systemClock,
  streamExports = false,
}: QueryApiDeps) {
  const deps = { store, views, audit, cursors, clock, streamExports };
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
    try {
      return await ROUTES[route]({ deps, principal, event, read });
    } catch (error) {
      // Every read leaves a record, or is not served: nothing of this one was sent.
      if (error instanceof AccessNotRecordedError)
        return jsonResponse(503, { error: error.message }, { 'retry-after': '5' });
      throw error;
    }
  };
}

/**
 * The Lambda wiring, from the function's environment (functions/query-api/handler.ts). The cursor secret is read
 * from Secrets Manager once per cold start; a failed read is retried by the next request, not kept.
 */
export function queryApiFromEnvironment() {
  const config = loadConfig({ QUEUE_URL: queueUrl, CURSOR_SECRET_ARN: z.string().min(1) });
  const secrets = traced(new SecretsManagerClient({}));
  const wiring = {
    pool: createPool({ ...databaseOptionsFromEnv(), max: 2 }),
    sqs: traced(new SQSClient({})),
    queueUrl: config.QUEUE_URL,
    catalog: catalogFromEnv(),
  };
  const handler = onceSucceeded(async () =>
    composeQueryApi({ ...wiring, cursorSecret: await readCursorSecret(secrets, config.CURSOR_SECRET_ARN) }),
  );
  return async (event: APIGatewayProxyEventV2WithJWTAuthorizer) => (await handler())(event);
}

/** What the query API is made of, wherever it runs (the Lambda wiring and the local stack). */
export interface QueryApiWiring extends IngestWiring {
  /** Logged in as audit_reader. */
  pool: pg.Pool;
  /** The local stack streams exports; API Gateway cannot. */
  streamExports?: boolean;
  /** The per-deployment secret cursors are signed with (Secrets Manager on AWS, DATA_DIR locally). */
  cursorSecret: string;
}

/** The query API with its adapters: PostgreSQL reads and saved views, reads audited through the queue. */
export function composeQueryApi(wiring: QueryApiWiring) {
  return createQueryApiHandler({
    store: new PgQueryStore(wiring.pool),
    views: new PgSavedViews(wiring.pool),
    audit: new QueueAccessAuditor(new SqsEventQueue(wiring.sqs, wiring.queueUrl), wiring.catalog),
    cursors: hmacCursorSigner(wiring.cursorSecret),
    streamExports: wiring.streamExports ?? false,
  });
}
