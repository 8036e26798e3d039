import { describe, expect, it } from 'vitest';
import { hasAnyRole, principalFromClaims } from '../../shared/core/access/principal.ts';

describe('principalFromClaims', () => {
  it('reads Cognito claims with groups as an array', () => {
    expect(
      principalFromClaims({
        'cognito:username': 'alice',
        'cognito:groups': ['admin', 'auditor'],
        client_id: 'web-app',
        sub: 'abc',
      }),
    ).toEqual({ user: 'alice', roles: ['admin', 'auditor'], clientId: 'web-app' });
  });

  it('reads API Gateway\'s flattened "[admin auditor]" string', () => {
    expect(principalFromClaims({ 'cognito:username': 'alice', 'cognito:groups': '[admin auditor]' })?.roles).toEqual([
      'admin',
      'auditor',
    ]);
    expect(principalFromClaims({ username: 'bob', groups: '[operator]' })?.roles).toEqual(['operator']);
    expect(principalFromClaims({ username: 'bob', groups: 'auditor,operator' })?.roles).toEqual([
      'auditor',
      'operator',
    ]);
    expect(principalFromClaims({ username: 'bob', groups: '[]' })?.roles).toEqual([]);
  });

  it('falls back from cognito:username to username to sub', () => {
    expect(principalFromClaims({ username: 'bob', sub: 'uuid-1' })?.user).toBe('bob');
    expect(principalFromClaims({ sub: 'uuid-1' })?.user).toBe('uuid-1');
    expect(principalFromClaims({ 'cognito:username': 'carol', username: 'bob', sub: 'uuid-1' })?.user).toBe('carol');
  });

  it('no claims or no user → no principal', () => {
    expect(principalFromClaims(undefined)).toBeUndefined();
    expect(principalFromClaims({})).toBeUndefined();
    expect(principalFromClaims({ sub: '' })).toBeUndefined();
    expect(principalFromClaims({ sub: 42 })).toBeUndefined();
    expect(principalFromClaims({ 'cognito:groups': ['admin'] })).toBeUndefined();
  });

  it('ignores unknown groups and has no roles without groups', () => {
    expect(principalFromClaims({ sub: 'u', 'cognito:groups': ['admin', 'superuser', 'Admin'] })?.roles).toEqual([
      'admin',
    ]);
    expect(principalFromClaims({ sub: 'u', 'cognito:groups': '[guests admins]' })?.roles).toEqual([]);
    expect(principalFromClaims({ sub: 'u' })?.roles).toEqual([]);
  });

  it('omits clientId when absent', () => {
    expect(principalFromClaims({ sub: 'u' })).toEqual({ user: 'u', roles: [] });
  });
});

describe('hasAnyRole', () => {
  it('is true when one role matches', () => {
    expect(hasAnyRole({ user: 'a', roles: ['operator', 'auditor'] }, ['admin', 'auditor'])).toBe(true);
    expect(hasAnyRole({ user: 'a', roles: ['operator'] }, ['admin', 'auditor'])).toBe(false);
    expect(hasAnyRole({ user: 'a', roles: [] }, ['admin'])).toBe(false);
  });
});
