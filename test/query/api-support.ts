import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import type pg from 'pg';
import { PgProofStore } from '../../shared/adapters/postgres/log-proofs.ts';
import { PgQueryStore } from '../../shared/adapters/postgres/pg-query-store.ts';
import { PgSavedViews } from '../../shared/adapters/postgres/saved-views.ts';
import { createQueryApiHandler, type QueryApiDeps, type QueryApiResult } from '../../shared/apps/query-api.ts';
import { createCatalog } from '../../shared/core/domain/catalog.ts';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import type { QueueMessageBody } from '../../shared/core/ingest/packing.ts';
import type { EventQueue, QueueMessage } from '../../shared/core/ports/events.ts';
import { QueueAccessAuditor } from '../../shared/core/query/access-auditor.ts';
import { hmacCursorSigner } from '../../shared/core/query/page-cursor.ts';

/** A queue that keeps what is sent: the audit records the API puts on it. */
export class CapturingQueue implements EventQueue {
  readonly messages: QueueMessage[] = [];
  async send(messages: readonly QueueMessage[]): Promise<void> {
    this.messages.push(...messages);
  }
  events(): StoredEvent[] {
    return this.messages.flatMap((m) => (JSON.parse(m.body) as QueueMessageBody).events);
  }
}

export interface Call {
  user?: string;
  role?: string;
  query?: Record<string, string>;
  pathParameters?: Record<string, string>;
  body?: unknown;
}

/** The event API Gateway hands the function for `routeKey`, as the JWT authorizer passes the claims. */
export function apiEvent(routeKey: string, call: Call = {}): APIGatewayProxyEventV2WithJWTAuthorizer {
  const { user = 'ann', role = 'auditor', query, pathParameters, body } = call;
  return {
    version: '2.0',
    routeKey,
    rawPath: routeKey.split(' ')[1]!,
    rawQueryString: new URLSearchParams(query).toString(),
    headers: {},
    ...(query && { queryStringParameters: query }),
    ...(pathParameters && { pathParameters }),
    ...(body !== undefined && { body: JSON.stringify(body), isBase64Encoded: false }),
    requestContext: {
      http: { method: routeKey.split(' ')[0]!, sourceIp: '10.0.0.9' },
      routeKey,
      authorizer: { jwt: { claims: { username: user, 'cognito:groups': `[${role}]` }, scopes: [] } },
    },
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
}

/** The secret the tests' query API signs cursors with: one "deployment". */
export const TEST_CURSOR_SECRET = 'test-deployment-cursor-secret-0123456789';

/** The query API over a real database (as audit_reader) and a capturing queue. */
export function queryApi(
  readerPool: pg.Pool,
  now: () => Date,
  {
    cursorSecret = TEST_CURSOR_SECRET,
    ...options
  }: Partial<
    Pick<QueryApiDeps, 'streamExports' | 'archive' | 'archiveJobs' | 'sealRetryAfterSeconds' | 'operations'>
  > & {
    cursorSecret?: string;
  } = {},
) {
  const queue = new CapturingQueue();
  const handler = createQueryApiHandler({
    store: new PgQueryStore(readerPool),
    views: new PgSavedViews(readerPool),
    audit: new QueueAccessAuditor(queue, createCatalog(), now),
    cursors: hmacCursorSigner(cursorSecret),
    clock: now,
    proofs: new PgProofStore(readerPool),
    ...options,
  });
  const call = async (routeKey: string, request: Call = {}) => {
    const result: QueryApiResult = await handler(apiEvent(routeKey, request));
    const type = String(result.headers?.['content-type'] ?? '');
    const text = result.body ?? '';
    return {
      result,
      status: result.statusCode,
      json: type.startsWith('application/json') && text ? JSON.parse(text) : undefined,
    };
  };
  return { handler, queue, call };
}
