import { describe, expect, it } from 'vitest';
import { DEFAULT_DEV_TOKEN, parseLocalTokens } from '../../shared/apps/local/tokens.ts';

describe('parseLocalTokens', () => {
  it('unset or blank: one admin token for user dev', () => {
    for (const spec of [undefined, '', '   ']) {
      const tokens = parseLocalTokens(spec);
      expect([...tokens]).toEqual([[DEFAULT_DEV_TOKEN, { user: 'dev', role: 'admin' }]]);
    }
    expect(DEFAULT_DEV_TOKEN).toBe('dev-admin-token');
  });

  it('reads token=user:role items', () => {
    const tokens = parseLocalTokens('s3cret-alice=alice:admin, s3cret-bob=bob:auditor ,robot-r17-token=r-17:device,');
    expect(Object.fromEntries(tokens)).toEqual({
      's3cret-alice': { user: 'alice', role: 'admin' },
      's3cret-bob': { user: 'bob', role: 'auditor' },
      'robot-r17-token': { user: 'r-17', role: 'device' },
    });
  });

  it('a configured list replaces the default dev token', () => {
    expect(parseLocalTokens('operator-token=olga:operator').has(DEFAULT_DEV_TOKEN)).toBe(false);
  });

  it.each([
    'short=al:admin',
    'long-enough-token',
    'long-enough-token=alice',
    'long-enough-token=:admin',
    'long enough=al:admin',
  ])('refuses %j, naming the variable and the item', (spec) => {
    expect(() => parseLocalTokens(spec)).toThrow(/^LOCAL_TOKENS: ".*" is not token=user:role/);
  });

  it('refuses an unknown role, listing the roles', () => {
    expect(() => parseLocalTokens('long-enough-token=alice:root')).toThrow(
      'LOCAL_TOKENS: role "root" must be one of admin, auditor, operator, device',
    );
  });
});
