import type { QueryRoute } from '../../shared/core/access/policy.ts';
import {
  eventsQuerySchema,
  exportQuerySchema,
  historyQuerySchema,
  reportQuerySchema,
  statsQuerySchema,
  viewsQuerySchema,
} from '../../shared/core/query/params.ts';

/** The query parameters each route's handler validates (a new route fails to compile until it is listed). */
export const ROUTE_QUERY_PARAMETERS: Record<QueryRoute, readonly string[]> = {
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
