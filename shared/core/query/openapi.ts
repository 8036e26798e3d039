import { z } from 'zod';
import { QUERY_ROUTES } from '../access/policy.ts';
import { storedEventSchema } from '../domain/event.ts';
import { operationsStatusSchema } from '../operations/status.ts';
import { eventProofSchema } from '../tamper/proof.ts';
import {
  eventsQuerySchema,
  exportQuerySchema,
  historyQuerySchema,
  MAX_WINDOW_DAYS,
  reportQuerySchema,
  savedFiltersSchema,
  savedViewInputSchema,
  statsQuerySchema,
  viewsQuerySchema,
} from './params.ts';

const windowSchema = z.object({ since: z.iso.datetime(), until: z.iso.datetime() });
const errorSchema = z.object({ error: z.string(), parameter: z.string().optional() });
const linkSchema = z.object({ method: z.enum(['GET', 'POST']), href: z.string() });
const archivePointerSchema = z
  .object({
    months: z.array(z.string().regex(/^\d{4}-\d{2}$/)).describe('archived months (YYYY-MM) inside the window'),
    state: z
      .enum(['available', 'running', 'failed', 'unavailable'])
      .describe(
        'available: POST start to read them; running: the archive job is not done, ask next again (Retry-After); ' +
          'failed: the job ended so (reason), e.g. at the bytes-scanned limit; unavailable: this API cannot read the archive',
      ),
    reason: z.string().optional(),
    job: z.string().optional().describe('the archive job (Athena query execution) this walk reads'),
    start: linkSchema.optional().describe('starts the archive job for the rest of the walk (newest-first walks)'),
  })
  .describe('present when the window reaches archived months, or a page comes from the archive job');
const eventsPageSchema = z.object({
  events: z.array(
    storedEventSchema.extend({
      storedIn: z.enum(['postgres', 'archive']).describe('where the row was read from'),
    }),
  ),
  next: z
    .string()
    .nullable()
    .describe('pass as cursor for the next page; null when nothing more can be read without archive.start'),
  window: windowSchema,
  archived: z.array(z.string()).optional().describe('the same as archive.months'),
  archive: archivePointerSchema.optional(),
});
const archiveStartSchema = z.object({
  job: z.string(),
  state: z.literal('running'),
  next: z.string().describe('the cursor to GET: empty pages while the job runs, then its rows'),
  poll: linkSchema,
});
const archiveStart = (summary: string, parameters: unknown[]) => ({
  summary,
  parameters,
  responses: {
    202: ok('the job started; GET poll.href until its pages come', json(archiveStartSchema)),
    503: { description: 'the read could not be recorded, or the archive cannot be read', content: json(errorSchema) },
    ...errors,
  },
});
const statsSchema = z.object({
  interval: z.string(),
  groupBy: z.string(),
  window: windowSchema,
  rows: z.array(z.object({ bucket: z.iso.datetime(), key: z.string(), count: z.number().int() })),
  truncated: z.boolean(),
  basis: z
    .enum(['rollups', 'events'])
    .describe(
      `rollups: hourly, daily and monthly counts (any window); events: raw rows (at most ${MAX_WINDOW_DAYS} days)`,
    ),
  archived: z
    .array(z.string())
    .describe('months (YYYY-MM) of the window whose events these counts leave out: they are in the archive only'),
});
const savedViewSchema = z.object({ name: z.string(), filters: savedFiltersSchema, createdAt: z.iso.datetime() });

type JsonSchema = { properties?: Record<string, { description?: string }>; required?: string[] };

function queryParameters(schema: z.ZodType) {
  const json = z.toJSONSchema(schema, { io: 'input' }) as JsonSchema;
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    ...(property.description && { description: property.description }),
    schema: property,
  }));
}

const pathParameter = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});
const json = (schema: z.ZodType) => ({ 'application/json': { schema: z.toJSONSchema(schema) } });
const ok = (description: string, content: Record<string, unknown>) => ({ description, content });
const errors = {
  400: { description: 'a parameter is invalid: `parameter` names it, `error` says why', content: json(errorSchema) },
  401: { description: 'no or invalid credentials', content: json(errorSchema) },
  403: {
    description:
      "the role may not use this route, or (views) the caller is not an admin and named another user's views",
    content: json(errorSchema),
  },
};

type Operation = Record<string, unknown>;
const OPERATIONS: Record<(typeof QUERY_ROUTES)[number], Operation> = {
  'GET /events': {
    summary:
      `Events matching the filters, one page (keyset cursor), in a time window of at most ${MAX_WINDOW_DAYS} days; a window reaching ` +
      'archived months says so (archived, archive.start) and continues into the archive newest-first',
    parameters: queryParameters(eventsQuerySchema),
    responses: { 200: ok('a page of events', json(eventsPageSchema)), ...errors },
  },
  'GET /entities/{type}/{id}/events': {
    summary:
      "An entity's whole history, newest first, including events that list it as related: PostgreSQL, then (after " +
      'archive.start) the archive, under one cursor. No window cap; since/until narrow it',
    parameters: [
      pathParameter('type', 'entity type, e.g. robot'),
      pathParameter('id', 'entity id, e.g. r-17'),
      ...queryParameters(historyQuerySchema),
    ],
    responses: { 200: ok('a page of events', json(eventsPageSchema)), ...errors },
  },
  'POST /entities/{type}/{id}/events/archive': archiveStart(
    "Start the archive job that continues an entity's history (archive.start of its last PostgreSQL page)",
    [
      pathParameter('type', 'entity type, e.g. robot'),
      pathParameter('id', 'entity id, e.g. r-17'),
      ...queryParameters(historyQuerySchema),
    ],
  ),
  'POST /events/archive': archiveStart(
    'Start the archive job for the archived months of a GET /events window (its archive.start)',
    queryParameters(eventsQuerySchema),
  ),
  'GET /events/{id}/proof': {
    summary:
      'The inclusion proof of one event against the newest signed checkpoint (docs/tamper-evidence.md, "Proof files"), ' +
      'checked offline by `trail verify-proof`; also for an event whose month is archived',
    parameters: [pathParameter('id', 'the event id (UUID)')],
    responses: {
      200: ok('the proof', json(eventProofSchema)),
      404: { description: 'no such event (or one of a type the role may not see)', content: json(errorSchema) },
      409: {
        description: 'the event is stored but not sealed yet: retry after the next checkpoint (Retry-After, seconds)',
        headers: { 'Retry-After': { schema: { type: 'integer' } } },
        content: json(errorSchema),
      },
      503: {
        description: 'the read could not be recorded, or the event is archived and the archive cannot be read',
        content: json(errorSchema),
      },
      ...errors,
    },
  },
  'GET /operations': {
    summary:
      'The operations view: queue and dead letters, the writer, partitions, the last maintenance, seal and verification, sink lag',
    parameters: [],
    responses: {
      200: ok('the figures now (null: not known here)', json(operationsStatusSchema)),
      503: { description: 'this deployment does not serve the operations view', content: json(errorSchema) },
      ...errors,
    },
  },
  'GET /stats': {
    summary: 'Event counts per interval, grouped by severity, type or entity',
    parameters: queryParameters(statsQuerySchema),
    responses: { 200: ok('counts per bucket and key', json(statsSchema)), ...errors },
  },
  'GET /events/export': {
    summary: 'Every matching event as CSV, a JSON array or NDJSON (streamed locally; up to 5 MiB on AWS)',
    parameters: queryParameters(exportQuerySchema),
    responses: {
      200: ok('the export, as an attachment', {
        'text/csv': { schema: { type: 'string' } },
        'application/json': { schema: z.toJSONSchema(z.array(storedEventSchema)) },
        'application/x-ndjson': { schema: { type: 'string' } },
      }),
      413: { description: 'too large to return through API Gateway: narrow the window', content: json(errorSchema) },
      ...errors,
    },
  },
  'GET /reports': {
    summary: 'A printable HTML audit report over the filters',
    parameters: queryParameters(reportQuerySchema),
    responses: { 200: ok('the report', { 'text/html': { schema: { type: 'string' } } }), ...errors },
  },
  'GET /views': {
    summary: "The caller's saved views (admins: another user's, with owner=)",
    parameters: queryParameters(viewsQuerySchema),
    responses: { 200: ok('saved views', json(z.object({ views: z.array(savedViewSchema) }))), ...errors },
  },
  'POST /views': {
    summary: 'Save filters under a name',
    requestBody: { required: true, content: json(savedViewInputSchema) },
    responses: {
      201: ok('saved', json(savedViewSchema)),
      409: { description: 'a view of that name exists', content: json(errorSchema) },
      ...errors,
    },
  },
  'DELETE /views/{name}': {
    summary: "Delete one of the caller's saved views (admins: another user's, with owner=)",
    parameters: [pathParameter('name', 'the view name'), ...queryParameters(viewsQuerySchema)],
    responses: { 204: { description: 'deleted' }, 404: { description: 'no such view' }, ...errors },
  },
  'GET /openapi.json': {
    summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': {} } }, ...errors },
  },
};

/** The OpenAPI 3.1 description of the query API, built from the zod schemas the handlers validate with. */
export function openApiDocument(serverUrl?: string) {
  const paths: Record<string, Record<string, Operation>> = {};
  for (const route of QUERY_ROUTES) {
    const [method, path] = route.split(' ') as [string, string];
    paths[path] = { ...paths[path], [method.toLowerCase()]: OPERATIONS[route] };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Fleet audit trail: query API', version: '1' },
    ...(serverUrl && { servers: [{ url: serverUrl }] }),
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
