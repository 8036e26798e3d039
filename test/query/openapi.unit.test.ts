import { describe, expect, it } from 'vitest';
import { QUERY_ROUTES, type QueryRoute } from '../../shared/core/access/policy.ts';
import { openApiDocument } from '../../shared/core/query/openapi.ts';
import {
  eventsQuerySchema,
  exportQuerySchema,
  historyQuerySchema,
  reportQuerySchema,
  statsQuerySchema,
  viewsQuerySchema,
} from '../../shared/core/query/params.ts';

/** The query parameters each route's handler validates (a new route fails to compile until it is listed). */
const QUERY: Record<QueryRoute, readonly string[]> = {
  'GET /events': Object.keys(eventsQuerySchema.shape),
  'GET /entities/{type}/{id}/events': Object.keys(historyQuerySchema.shape),
  'POST /entities/{type}/{id}/events/archive': Object.keys(historyQuerySchema.shape),
  'POST /events/archive': Object.keys(eventsQuerySchema.shape),
  'GET /events/{id}/proof': [],
  'GET /stats': Object.keys(statsQuerySchema.shape),
  'GET /events/export': Object.keys(exportQuerySchema.shape),
  'GET /reports': Object.keys(reportQuerySchema.shape),
  'GET /views': Object.keys(viewsQuerySchema.shape),
  'POST /views': [],
  'DELETE /views/{name}': Object.keys(viewsQuerySchema.shape),
  'GET /openapi.json': [],
  'GET /operations': [],
};

type Parameter = { name: string; in: string; required: boolean };

describe('the OpenAPI document', () => {
  const document = openApiDocument();
  it.each(QUERY_ROUTES)('%s: listed with its path parameters and every query parameter its handler takes', (route) => {
    const [method, path] = route.split(' ') as [string, string];
    const operation = document.paths[path]?.[method.toLowerCase()] as { parameters?: Parameter[] } | undefined;
    expect(operation, route).toBeDefined();
    const parameters = operation?.parameters ?? [];
    const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    expect(parameters.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(inPath);
    expect(parameters.filter((p) => p.in === 'path').every((p) => p.required)).toBe(true);
    expect(
      parameters
        .filter((p) => p.in === 'query')
        .map((p) => p.name)
        .sort(),
    ).toEqual([...QUERY[route]].sort());
  });
});
