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
import {
  type EventsPage,
  type Outcome,
  type ReadDeps,
  type ReadRequest,
  readEvents,
  readStats,
  startArchiveRead,
} from '../core/query/read.ts';
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

/** While an archive job runs, how soon to ask again. */
const ARCHIVE_RETRY_AFTER_SECONDS = 2;

/**
 * A page as JSON: the archive pointer's start cursor becomes the link that starts the job (the same filters, POSTed
 * to the route's `/archive`), and a page whose job still runs says when to ask again.
 */
function pageResponse(page: EventsPage, path: string, read: ReadRequest): QueryApiResult {
  const { archive, ...rest } = page;
  if (!archive) return jsonResponse(200, rest);
  const { startCursor, ...pointer } = archive;
  const query = linkQuery(read, startCursor, ['limit']);
  const body = {
    ...rest,
    // The months a window reaches in the archive, top-level as well: a client that only looks for them finds them.
    archived: pointer.months,
    archive: { ...pointer, ...(startCursor && { start: { method: 'POST', href: `${path}/archive?${query}` } }) },
  };
  const running = pointer.state === 'running';
  return jsonResponse(200, body, running ? { 'retry-after': String(ARCHIVE_RETRY_AFTER_SECONDS) } : {});
}

/** The request's parameters with `cursor` in place of its own (and `omit` left out): a link's query. */
function linkQuery(read: ReadRequest, cursor: string | undefined, omit: readonly string[] = []): URLSearchParams {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(read.query))
    if (value !== undefined && key !== 'cursor' && !omit.includes(key)) query.set(key, value);
  if (cursor) query.set('cursor', cursor);
  return query;
}

function entityPath(type: string, id: string): string {
  return `/entities/${encodeURIComponent(type)}/${encodeURIComponent(id)}/events`;
}

/** POST …/archive: start the archive job; 202 with the cursor that polls and then pages it. */
async function startArchive(
  deps: RouteDeps,
  read: ReadRequest,
  path: string,
  entity?: { type: string; id: string },
): Promise<QueryApiResult> {
  const outcome = await startArchiveRead(deps, read, entity);
  if (!outcome.ok)
    return 'status' in outcome
      ? jsonResponse(outcome.status, { error: outcome.message })
      : badRequest(outcome.parameter, outcome.message);
  const query = linkQuery(read, outcome.value.next);
  return jsonResponse(
    202,
    { ...outcome.value, poll: { method: 'GET', href: `${path}?${query}` } },
    { 'retry-after': String(ARCHIVE_RETRY_AFTER_SECONDS) },
  );
}

/** The path's entity, checked as query parameters are; a 400 naming the part that is wrong otherwise. */
function pathEntity(
  event: RouteContext['event'],
): { ok: true; entity: { type: string; id: string } } | { ok: false; response: QueryApiResult } {
  const path = event.pathParameters ?? {};
  // As query parameters are (params.ts): the path's entity is audited and queried, so it must be storable.
  for (const parameter of ['type', 'id'] as const) {
    const bad = unstorableCharacter(path[parameter] ?? '');
    if (bad) return { ok: false, response: badRequest(parameter, bad) };
  }
  const entity = entityRefSchema.safeParse(path);
  if (!entity.success) {
    const parameter = String(entity.error.issues[0]?.path[0] ?? 'entity');
    return {
      ok: false,
      response: badRequest(
        parameter,
        `${entity.error.issues[0]?.message ?? 'invalid'}; the path is /entities/{type}/{id}/events, e.g. /entities/robot/r-17/events`,
      ),
    };
  }
  return { ok: true, entity: entity.data };
}

async function entityHistory({ deps, event, read }: RouteContext): Promise<QueryApiResult> {
  const parsed = pathEntity(event);
  if (!parsed.ok) return parsed.response;
  const { entity } = parsed;
  const path = entityPath(entity.type, entity.id);
  return respond(await readEvents(deps, read, entity), (page) => pageResponse(page, path, read));
}

async function entityArchive({ deps, event, read }: RouteContext): Promise<QueryApiResult> {
  const parsed = pathEntity(event);
  if (!parsed.ok) return parsed.response;
  return startArchive(deps, read, entityPath(parsed.entity.type, parsed.entity.id), parsed.entity);
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
  'GET /events': async ({ deps, read }) =>
    respond(await readEvents(deps, read), (page) => pageResponse(page, '/events', read)),
  'GET /entities/{type}/{id}/events': entityHistory,
  'POST /entities/{type}/{id}/events/archive': entityArchive,
  'POST /events/archive': async ({ deps, read }) => startArchive(deps, read, '/events'),
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
