import { describe, expect, it } from 'vitest';
import { createQueryApiHandler } from '../../shared/apps/query-api.ts';
import { hiddenTypePrefixes, mayAccess, QUERY_ROUTES, type QueryRoute } from '../../shared/core/access/policy.ts';
import { ROLES, type Role } from '../../shared/core/access/principal.ts';
import { hmacCursorSigner } from '../../shared/core/query/page-cursor.ts';
import { apiEvent } from '../query/api-support.ts';

/** The expected matrix, written out: every route × every role. */
const EXPECTED: Record<QueryRoute, Record<Role, boolean>> = {
  'GET /events': { admin: true, auditor: true, operator: true, device: false, identity: false },
  'GET /entities/{type}/{id}/events': { admin: true, auditor: true, operator: true, device: false, identity: false },
  'GET /events/{id}/proof': { admin: true, auditor: true, operator: true, device: false, identity: false },
  'GET /stats': { admin: true, auditor: true, operator: true, device: false, identity: false },
  'GET /events/export': { admin: true, auditor: true, operator: false, device: false, identity: false },
  'POST /entities/{type}/{id}/events/archive': {
    admin: true,
    auditor: true,
    operator: true,
    device: false,
    identity: false,
  },
  'POST /events/archive': { admin: true, auditor: true, operator: true, device: false, identity: false },
  'GET /reports': { admin: true, auditor: true, operator: false, device: false, identity: false },
  'GET /views': { admin: true, auditor: true, operator: true, device: false, identity: false },
  'POST /views': { admin: true, auditor: true, operator: true, device: false, identity: false },
  'DELETE /views/{name}': { admin: true, auditor: true, operator: true, device: false, identity: false },
  'GET /openapi.json': { admin: true, auditor: true, operator: true, device: false, identity: false },
  'GET /operations': { admin: true, auditor: true, operator: true, device: false, identity: false },
};

/** A handler whose dependencies answer nothing: enough to see whether a request gets past the access check. */
const handler = createQueryApiHandler({
  store: {
    page: async () => ({ events: [], hasMore: false }),
    stats: async () => [],
    statsCoverage: async () => ({ archivedMonths: [], completeFrom: null }),
    totals: async () => [],
    archivedMonths: async () => [],
  },
  views: { list: async () => [], create: async () => false, remove: async () => false },
  audit: { record: async () => 'no-record', recordOutcome: async () => {} },
  cursors: hmacCursorSigner('policy-test-cursor-secret-0123456789'),
  proofs: {
    logEntry: async () => undefined,
    unsealedOccurredAt: async () => undefined,
    event: async () => undefined,
    latestCheckpoint: async () => undefined,
    leaves: async () => [],
    nodes: async () => [],
  },
});

describe('route × role', () => {
  const cells = QUERY_ROUTES.flatMap((route) => ROLES.map((role) => [route, role] as const));

  it('covers every route', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...QUERY_ROUTES].sort());
  });

  it.each(cells)('%s as %s', async (route, role) => {
    const allowed = EXPECTED[route][role];
    expect(mayAccess({ user: 'u', roles: [role] }, route)).toBe(allowed);
    const result = await handler(apiEvent(route, { role, pathParameters: { type: 'robot', id: 'r-1', name: 'v' } }));
    if (allowed) expect(result.statusCode).not.toBe(403);
    else expect(result.statusCode).toBe(403);
  });

  it('grants nothing to a principal without a known role, and the union of several roles', () => {
    expect(QUERY_ROUTES.some((route) => mayAccess({ user: 'u', roles: [] }, route))).toBe(false);
    expect(mayAccess({ user: 'u', roles: ['device', 'auditor'] }, 'GET /reports')).toBe(true);
  });
});

describe('what a role may see', () => {
  it('hides user.* and audit.* from operators only', () => {
    expect(hiddenTypePrefixes({ user: 'o', roles: ['operator'] })).toEqual(['audit.', 'user.']);
    expect(hiddenTypePrefixes({ user: 'a', roles: ['auditor'] })).toEqual([]);
    expect(hiddenTypePrefixes({ user: 'a', roles: ['operator', 'admin'] })).toEqual([]);
  });
});
