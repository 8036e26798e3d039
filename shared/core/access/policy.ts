import type { Principal, Role } from './principal.ts';

/** Every route of the query API, as API Gateway declares it. */
export const QUERY_ROUTES = [
  'GET /events',
  'GET /entities/{type}/{id}/events',
  'POST /entities/{type}/{id}/events/archive',
  'POST /events/archive',
  'GET /events/{id}/proof',
  'GET /stats',
  'GET /events/export',
  'GET /reports',
  'GET /views',
  'POST /views',
  'DELETE /views/{name}',
  'GET /openapi.json',
  'GET /operations',
] as const;
export type QueryRoute = (typeof QUERY_ROUTES)[number];

const READ: readonly QueryRoute[] = [
  'GET /events',
  'GET /entities/{type}/{id}/events',
  // Reading on into the archive: the same reads, older rows (hidden types stay hidden there too).
  'POST /entities/{type}/{id}/events/archive',
  'POST /events/archive',
  // Whoever may read an event may have its proof (an event type hidden from them is unknown to them there too).
  'GET /events/{id}/proof',
  'GET /stats',
  'GET /views',
  'POST /views',
  'DELETE /views/{name}',
  'GET /openapi.json',
  // The queue, the writer, the jobs: no event in it; operators run the floor and need to see the trail is healthy.
  'GET /operations',
];

/**
 * The one place that decides route × role. Auditors and admins read everything, export and report; operators read
 * (a narrowed view, see `hiddenTypePrefixes`) but neither export nor report; devices publish over MQTT only; the
 * identity source only posts events.
 */
const ALLOWED: Record<Role, readonly QueryRoute[]> = {
  admin: QUERY_ROUTES,
  auditor: QUERY_ROUTES,
  operator: READ,
  device: [],
  identity: [],
};

export function mayAccess(principal: Principal, route: QueryRoute): boolean {
  return principal.roles.some((role) => ALLOWED[role].includes(route));
}

/**
 * Event types a principal may not see, enforced in SQL. Operators run the floor: they see what machines and people did
 * to machines, but not who logged in, whose role changed (user.*) or who read the audit log (audit.*).
 */
export const OPERATOR_HIDDEN_TYPE_PREFIXES = ['audit.', 'user.'] as const;

export function hiddenTypePrefixes(principal: Principal): readonly string[] {
  const seesAll = principal.roles.some((role) => role === 'admin' || role === 'auditor');
  return seesAll ? [] : OPERATOR_HIDDEN_TYPE_PREFIXES;
}
