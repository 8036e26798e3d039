import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { QueryRoute } from '../core/access/policy.ts';
import type { Principal } from '../core/access/principal.ts';
import { entityRefSchema } from '../core/domain/entity.ts';
import { unstorableCharacter } from '../core/domain/storable.ts';
import { readOperations } from '../core/operations/read.ts';
import type { OperationsSource } from '../core/operations/status.ts';
import type { SavedViewStore } from '../core/ports/query.ts';
import { type EventProofDeps, readEventProof } from '../core/query/event-proof.ts';
import { collectExport, exportEvents } from '../core/query/export.ts';
import { openApiDocument } from '../core/query/openapi.ts';
import { type Outcome, type ReadDeps, type ReadRequest, readEvents, readStats } from '../core/query/read.ts';
import { buildReport } from '../core/query/report.ts';
import { deleteView, listViews, saveView } from '../core/query/views.ts';
import { jsonResponse, requestBody } from './runtime/http.ts';

/** The largest export answered through API Gateway, whose HTTP API buffers Lambda responses up to 6 MB. */
export const MAX_BUFFERED_EXPORT_BYTES = 5 * 1024 * 1024;

export interface RouteDeps extends ReadDeps, EventProofDeps {
  views: SavedViewStore;
  /** The operations view's figures; absent where the API cannot read them (then GET /operations is a 503). */
  operations?: OperationsSource;
  /** true where the server can stream (the local stack); else exports are buffered up to MAX_BUFFERED_EXPORT_BYTES. */
  streamExports: boolean;
}

/** A response whose body is written chunk by chunk by a server that can stream (see shared/apps/local/http-server.ts). */
export type QueryApiResult = APIGatewayProxyStructuredResultV2 & { bodyStream?: AsyncIterable<string> };

export interface RouteContext {
  deps: RouteDeps;
  principal: Principal;
  event: APIGatewayProxyEventV2WithJWTAuthorizer;
  read: ReadRequest;
}

export function badRequest(parameter: string, message: string): QueryApiResult {
  return jsonResponse(400, { error: `${parameter}: ${message}`, parameter });
}

const respond = <T>(outcome: Outcome<T>, map: (value: T) => QueryApiResult): QueryApiResult =>
  outcome.ok ? map(outcome.value) : badRequest(outcome.parameter, outcome.message);

async function entityHistory({ deps, event, read }: RouteContext): Promise<QueryApiResult> {
  const path = event.pathParameters ?? {};
  // As query parameters are (params.ts): the path's entity is audited and queried, so it must be storable.
  for (const parameter of ['type', 'id'] as const) {
    const bad = unstorableCharacter(path[parameter] ?? '');
    if (bad) return badRequest(parameter, bad);
  }
  const entity = entityRefSchema.safeParse(path);
  if (!entity.success) {
    const parameter = String(entity.error.issues[0]?.path[0] ?? 'entity');
    return badRequest(
      parameter,
      `${entity.error.issues[0]?.message ?? 'invalid'}; the path is /entities/{type}/{id}/events, e.g. /entities/robot/r-17/events`,
    );
  }
  return respond(await readEvents(deps, read, entity.data), (page) => jsonResponse(200, page));
}

async function exportRoute({ deps, read }: RouteContext): Promise<QueryApiResult> {
  const outcome = await exportEvents(deps, read, deps.streamExports ? 'streamed' : 'buffered');
  if (!outcome.ok) return badRequest(outcome.parameter, outcome.message);
  const { contentType, fileName, chunks } = outcome.value;
  const headers = { 'content-type': contentType, 'content-disposition': `attachment; filename="${fileName}"` };
  if (deps.streamExports) return { statusCode: 200, headers, bodyStream: chunks };
  const collected = await collectExport(chunks, MAX_BUFFERED_EXPORT_BYTES);
  if (collected.ok) return { statusCode: 200, headers, body: collected.body };
  return jsonResponse(413, {
    error:
      `the export is larger than ${MAX_BUFFERED_EXPORT_BYTES / 1024 / 1024} MiB, the most this API returns at once: ` +
      'narrow since/until or the filters, page through GET /events, or query older months in the archive (Athena)',
  });
}

async function postView({ deps, principal, event }: RouteContext): Promise<QueryApiResult> {
  const outcome = await saveView(deps.views, principal, requestBody(event));
  if (outcome.ok) return jsonResponse(201, outcome.value);
  if ('conflict' in outcome) return jsonResponse(409, { error: outcome.message });
  return badRequest(outcome.parameter, outcome.message);
}

async function getViews({ deps, principal, read }: RouteContext): Promise<QueryApiResult> {
  const outcome = await listViews(deps.views, principal, read.query);
  if (outcome.ok) return jsonResponse(200, { views: outcome.value });
  return 'forbidden' in outcome
    ? jsonResponse(403, { error: outcome.message })
    : badRequest(outcome.parameter, outcome.message);
}

async function removeView({ deps, principal, event, read }: RouteContext): Promise<QueryApiResult> {
  const name = event.pathParameters?.['name'] ?? '';
  const outcome = await deleteView(deps.views, principal, name, read.query);
  if (!outcome.ok)
    return 'forbidden' in outcome
      ? jsonResponse(403, { error: outcome.message })
      : badRequest(outcome.parameter, outcome.message);
  return outcome.value ? { statusCode: 204, body: '' } : jsonResponse(404, { error: `no saved view named "${name}"` });
}

async function eventProof({ deps, event, read }: RouteContext): Promise<QueryApiResult> {
  const outcome = await readEventProof(deps, read, event.pathParameters?.['id'] ?? '');
  if (outcome.ok) return jsonResponse(200, outcome.value);
  if (outcome.status === 400) return badRequest(outcome.parameter, outcome.message);
  if (outcome.status === 409)
    return jsonResponse(409, { error: outcome.message }, { 'retry-after': String(outcome.retryAfterSeconds) });
  return jsonResponse(outcome.status, { error: outcome.message });
}

async function operations({ deps, read }: RouteContext): Promise<QueryApiResult> {
  const source = deps.operations;
  if (!source)
    return jsonResponse(503, {
      error: 'this deployment does not serve the operations view yet: see its CloudWatch dashboard (fleet-audit-<env>)',
    });
  return respond(await readOperations({ audit: deps.audit, operations: source }, read), (status) =>
    jsonResponse(200, status),
  );
}

/** Each route: parse → domain function → response. */
export const ROUTES: Record<QueryRoute, (context: RouteContext) => Promise<QueryApiResult>> = {
  'GET /events': async ({ deps, read }) => respond(await readEvents(deps, read), (page) => jsonResponse(200, page)),
  'GET /entities/{type}/{id}/events': entityHistory,
  'GET /events/{id}/proof': eventProof,
  'GET /stats': async ({ deps, read }) => respond(await readStats(deps, read), (stats) => jsonResponse(200, stats)),
  'GET /events/export': exportRoute,
  'GET /reports': async ({ deps, read }) =>
    respond(await buildReport(deps, read), ({ html }) => ({
      statusCode: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
      },
      body: html,
    })),
  'GET /views': getViews,
  'POST /views': postView,
  'DELETE /views/{name}': removeView,
  'GET /openapi.json': async () => jsonResponse(200, openApiDocument()),
  'GET /operations': operations,
};
