import type { EventInput } from '../domain/event.ts';
import type { Severity } from '../domain/severity.ts';

/** The event type of the API-interaction log: the trail's own record, so `audit.*` (internal only, hidden from operators). */
export const INTERACTION_EVENT_TYPE = 'audit.api.request';

/** The route of a request no route matched (API Gateway's 404): its raw path goes in the record instead. */
export const UNMATCHED_ROUTE = '(unmatched)';

/** One API request as the gateway saw it: refused ones too (401 before any handler ran, 404, 413, 429, 5xx). */
export interface Interaction {
  method: string;
  /** The route key as API Gateway declares it (`GET /entities/{type}/{id}/events`), never the path with its ids. */
  route: string;
  /** Only when `route` is UNMATCHED_ROUTE: what was asked for (there is no route key to name). */
  path?: string;
  status: number;
  /** The authenticated caller; none when the credentials were missing or invalid. */
  principal?: { user: string; roles: readonly string[] };
  sourceIp: string;
  userAgent: string;
  requestId: string;
  durationMs: number;
  /** When the request arrived. */
  at: Date;
}

/** What is stored: one request (`count` 1), or a summary of `count` identical failures between `firstAt` and `lastAt`. */
export interface InteractionRecord extends Interaction {
  count: number;
  firstAt: Date;
  lastAt: Date;
}

export const single = (interaction: Interaction): InteractionRecord => ({
  ...interaction,
  count: 1,
  firstAt: interaction.at,
  lastAt: interaction.at,
});

/** 5xx ERROR, 4xx WARNING, the rest INFO: `minSeverity=WARNING` reads the refusals. */
export function interactionSeverity(status: number): Severity {
  if (status >= 500) return 'ERROR';
  if (status >= 400) return 'WARNING';
  return 'INFO';
}

/** `GET /events` → `GET_/events`: an entity id holds no whitespace. */
export function routeEntityId(route: string): string {
  return route.replace(/\s+/g, '_');
}

const MAX_TEXT = 512;
// Headers and paths come from the client: control characters and what the store refuses become U+FFFD, so the record
// of a hostile request is still storable (a refused record would leave that request untraced).
const UNSAFE = /[\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}]/gu;
export function clientText(text: string, max = MAX_TEXT): string {
  const clean = text.replace(UNSAFE, '\uFFFD');
  const chars = [...clean];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : clean;
}

/**
 * The event that records `record`: entity the route (`route:GET_/events`), actor the caller (`user:alice`, or
 * `service:anonymous` when unauthenticated), occurredAt the last request it counts (a summary's first one was recorded
 * alone, so min/max of occurredAt span the burst).
 */
export function interactionEvent(record: InteractionRecord): EventInput {
  const { principal } = record;
  return {
    type: INTERACTION_EVENT_TYPE,
    severity: interactionSeverity(record.status),
    occurredAt: record.lastAt.toISOString(),
    entity: { type: 'route', id: clientText(routeEntityId(record.route), 128) },
    payload: {
      method: clientText(record.method, 16),
      route: clientText(record.route),
      ...(record.path !== undefined && { path: clientText(record.path) }),
      status: record.status,
      principal: principal ? clientText(principal.user, 256) : null,
      roles: principal ? principal.roles.join(',') || 'none' : 'unauthenticated',
      sourceIp: clientText(record.sourceIp, 64),
      userAgent: clientText(record.userAgent) || '(none)',
      requestId: clientText(record.requestId, 128),
      durationMs: Math.max(0, Math.round(record.durationMs)),
      count: record.count,
      firstAt: record.firstAt.toISOString(),
      lastAt: record.lastAt.toISOString(),
    },
  };
}
