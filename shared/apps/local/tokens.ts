import { ROLES, type Role } from '../../core/access/principal.ts';

export const DEFAULT_DEV_TOKEN = 'dev-admin-token';

export interface TokenGrant {
  user: string;
  role: Role;
}

/**
 * Local stand-in for the JWT authorizer: `LOCAL_TOKENS="token=user:role,…"`. Unset: one admin token
 * `dev-admin-token` for user `dev` (the stack prints it; change it for anything but a laptop).
 */
export function parseLocalTokens(spec: string | undefined): Map<string, TokenGrant> {
  const tokens = new Map<string, TokenGrant>();
  if (spec === undefined || spec.trim() === '') {
    tokens.set(DEFAULT_DEV_TOKEN, { user: 'dev', role: 'admin' });
    return tokens;
  }
  for (const item of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const match = /^([^=\s]{8,})=([^:\s]+):(\w+)$/.exec(item);
    if (!match) throw new Error(`LOCAL_TOKENS: "${item}" is not token=user:role (tokens are at least 8 characters)`);
    const [, token, user, role] = match as unknown as [string, string, string, string];
    if (!(ROLES as readonly string[]).includes(role))
      throw new Error(`LOCAL_TOKENS: role "${role}" must be one of ${ROLES.join(', ')}`);
    tokens.set(token, { user, role: role as Role });
  }
  return tokens;
}
