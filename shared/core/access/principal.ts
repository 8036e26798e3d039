/**
 * Roles of the audit trail (Cognito groups on AWS, the dev token file locally). `identity` is the identity source (the
 * bridge from the IdP): the only one that may post `user.*` identity events (logins, role and permission changes).
 */
export const ROLES = ['admin', 'auditor', 'operator', 'device', 'identity'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  user: string;
  roles: Role[];
  clientId?: string;
}

type Claims = Record<string, string | number | boolean | string[] | undefined>;

/**
 * Reads the authenticated principal from JWT claims as API Gateway's JWT authorizer passes them.
 * HTTP APIs flatten array claims to text like "[admin auditor]", so both forms are read.
 */
export function principalFromClaims(claims: Claims | undefined): Principal | undefined {
  if (!claims) return undefined;
  const user = claims['cognito:username'] ?? claims.username ?? claims.sub;
  if (typeof user !== 'string' || user === '') return undefined;
  const groups = claims['cognito:groups'] ?? claims.groups;
  const names = Array.isArray(groups)
    ? groups
    : typeof groups === 'string'
      ? groups.replace(/^\[|\]$/g, '').split(/[\s,]+/)
      : [];
  const roles = names.filter((name): name is Role => (ROLES as readonly string[]).includes(name));
  const clientId = typeof claims.client_id === 'string' ? claims.client_id : undefined;
  return { user, roles, ...(clientId && { clientId }) };
}

export function hasAnyRole(principal: Principal, allowed: readonly Role[]): boolean {
  return principal.roles.some((role) => allowed.includes(role));
}
