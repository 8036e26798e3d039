import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import type pg from 'pg';
import { z } from 'zod';
import { AthenaArchiveJobs } from '../adapters/athena/athena-jobs.ts';
import { AthenaArchiveQuery } from '../adapters/athena/athena-query.ts';
import { PgProofStore } from '../adapters/postgres/log-proofs.ts';
import { PgQueryStore } from '../adapters/postgres/pg-query-store.ts';
import { createPool, databaseOptionsFromEnv } from '../adapters/postgres/pool.ts';
import { PgSavedViews } from '../adapters/postgres/saved-views.ts';
import { readCursorSecret } from '../adapters/secrets-manager/cursor-secret.ts';
import { createSqsClient } from '../adapters/sqs/client.ts';
import { SqsEventQueue } from '../adapters/sqs/sqs-queue.ts';
import { mayAccess, QUERY_ROUTES, type QueryRoute } from '../core/access/policy.ts';
import { principalFromClaims } from '../core/access/principal.ts';
import { METRICS_NAMESPACE } from '../core/contracts/metrics.ts';
import type { OperationsSource } from '../core/operations/status.ts';
import type { ArchiveJobs } from '../core/ports/archive-jobs.ts';
import type { ArchiveQueryEngine } from '../core/ports/archive-query.ts';
import { type Clock, systemClock } from '../core/ports/events.ts';
import type { ProofStore } from '../core/ports/proofs.ts';
import type { AccessAuditor, QueryStore, SavedViewStore } from '../core/ports/query.ts';
import { AccessNotRecordedError, QueueAccessAuditor } from '../core/query/access-auditor.ts';
import { type CursorSigner, hmacCursorSigner } from '../core/query/page-cursor.ts';
import type { IngestWiring } from './ingest-http.ts';
import { awsOperations } from './operations.ts';
import { type QueryApiResult, ROUTES } from './query-api-routes.ts';
import { catalogFromEnv, deadLetterQueueUrl, loadConfig, queueUrl } from './runtime/config.ts';
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
  /** The tamper-evident log, for per-event proofs. */
  proofs: ProofStore;
  /** The archive's SQL engine, for the proofs of archived events; absent: such a proof is a 503. */
  archive?: () => Promise<ArchiveQueryEngine>;
  /** The archive's jobs, where histories and queries continue once PostgreSQL runs out; absent: pointed at only. */
  archiveJobs?: ArchiveJobs;
  /** Retry-After of a proof asked for before its event is sealed: the sealer's cadence (default a minute). */
  sealRetryAfterSeconds?: number;
  /** The operations view's figures (the local stack's own); absent, GET /operations is a 503. */
  operations?: OperationsSource;
}

/** The sealer's cadence on AWS: a round a minute. */
const DEFAULT_SEAL_RETRY_AFTER_SECONDS = 60;

const isRoute = (key: string): key is QueryRoute => (QUERY_ROUTES as readonly string[]).includes(key);

/** The query API: authenticate, check route × role (shared/core/access/policy.ts), then the route. */
export function createQueryApiHandler({
  store,
  views,
  audit,
  cursors,
  clock = systemClock,
  streamExports = false,
  proofs,
  archive,
  archiveJobs,
  sealRetryAfterSeconds = DEFAULT_SEAL_RETRY_AFTER_SECONDS,
  operations,
}: QueryApiDeps) {
  const deps = {
    store,
    views,
    audit,
    cursors,
    clock,
    streamExports,
    proofs,
    sealRetryAfterSeconds,
    ...(archive && { archive }),
    ...(archiveJobs && { archiveJobs }),
    ...(operations && { operations }),
  };
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

/** What GET /operations reads on AWS besides the queues (infra/constructs/query-api.ts `addOperations` sets them). */
const OPERATIONS_CONFIG = {
  POWERTOOLS_METRICS_NAMESPACE: z
    .string()
    .min(1)
    .default(METRICS_NAMESPACE)
    .describe("the trail's metrics namespace, where the seal, maintenance and verification results are read"),
  EVENTS_QUEUE_NAME: z.string().min(1).describe("the events queue's name, for its oldest message's age in CloudWatch"),
  WRITER_FUNCTION_NAME: z.string().min(1).describe("the writer function's name, for its invocations, errors, p99"),
  MAINTENANCE_SCHEDULE: z
    .string()
    .min(1)
    .describe("the maintenance rule's EventBridge schedule expression, for the next maintenance"),
};

/**
 * The Lambda wiring, from the function's environment (functions/query-api/handler.ts). The cursor secret is read
 * from Secrets Manager once per cold start; a failed read is retried by the next request, not kept.
 */
export function queryApiFromEnvironment() {
  const config = loadConfig({
    QUEUE_URL: queueUrl,
    DLQ_URL: deadLetterQueueUrl,
    CURSOR_SECRET_ARN: z.string().min(1),
    ATHENA_WORKGROUP: z
      .string()
      .min(1)
      .optional()
      .describe('Athena workgroup: histories continued into the archive, proofs of archived events'),
    GLUE_DATABASE: z.string().min(1).optional().describe('Glue database holding the archive table'),
    ...OPERATIONS_CONFIG,
  });
  const secrets = traced(new SecretsManagerClient({}));
  const { ATHENA_WORKGROUP: workGroup, GLUE_DATABASE: database } = config;
  // Within API Gateway's 30 s: Athena reads the one month's partition.
  const athena = workGroup && database ? { workGroup, database, timeoutMs: 20_000 } : undefined;
  const athenaClient = athena && traced(new AthenaClient({}));
  const pool = createPool({ ...databaseOptionsFromEnv(), max: 2 });
  const sqs = traced(createSqsClient({}));
  // Bounded: GET /operations answers within API Gateway's 30 s, with CloudWatch's figures null if it cannot.
  const cloudwatch = traced(
    new CloudWatchClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 } }),
  );
  const wiring = {
    pool,
    sqs,
    queueUrl: config.QUEUE_URL,
    operations: awsOperations({
      sqs,
      queueUrl: config.QUEUE_URL,
      deadLetterQueueUrl: config.DLQ_URL,
      pool,
      cloudwatch: {
        client: cloudwatch,
        target: {
          namespace: config.POWERTOOLS_METRICS_NAMESPACE,
          queueName: config.EVENTS_QUEUE_NAME,
          writerFunctionName: config.WRITER_FUNCTION_NAME,
        },
      },
      maintenanceSchedule: config.MAINTENANCE_SCHEDULE,
    }),
    catalog: catalogFromEnv(),
    ...(athena &&
      athenaClient && {
        archive: async () => new AthenaArchiveQuery(athenaClient, athena),
        archiveJobs: new AthenaArchiveJobs(athenaClient, athena),
      }),
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
  /** The archive's SQL engine, for the proofs of archived events (Athena on AWS, DuckDB locally). */
  archive?: () => Promise<ArchiveQueryEngine>;
  /** The archive's jobs (Athena on AWS, DuckDB locally), where reads continue once PostgreSQL runs out. */
  archiveJobs?: ArchiveJobs;
  /** The sealer's cadence, for Retry-After. */
  sealRetryAfterSeconds?: number;
  /** The operations view's figures. */
  operations?: OperationsSource;
}

/** The query API with its adapters: PostgreSQL reads and saved views, reads audited through the queue. */
export function composeQueryApi(wiring: QueryApiWiring) {
  return createQueryApiHandler({
    store: new PgQueryStore(wiring.pool),
    views: new PgSavedViews(wiring.pool),
    audit: new QueueAccessAuditor(new SqsEventQueue(wiring.sqs, wiring.queueUrl), wiring.catalog),
    cursors: hmacCursorSigner(wiring.cursorSecret),
    streamExports: wiring.streamExports ?? false,
    proofs: new PgProofStore(wiring.pool),
    ...(wiring.archive && { archive: wiring.archive }),
    ...(wiring.archiveJobs && { archiveJobs: wiring.archiveJobs }),
    ...(wiring.sealRetryAfterSeconds !== undefined && { sealRetryAfterSeconds: wiring.sealRetryAfterSeconds }),
    ...(wiring.operations && { operations: wiring.operations }),
  });
}
