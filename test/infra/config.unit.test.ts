import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../infra/config.ts';
import { CDK_CONTEXT } from './synth.ts';

const read = (overrides: Record<string, unknown>) => (key: string) => ({ ...CDK_CONTEXT, ...overrides })[key];

describe('deploy configuration', () => {
  it('parses the defaults of cdk.json', () => {
    expect(parseConfig(read({}))).toEqual({
      envName: 'dev',
      retentionMonths: 13,
      premakeMonths: 3,
      objectLockMode: 'GOVERNANCE',
      objectLockDays: 365,
      athenaBytesScannedCutoff: 10 * 1024 ** 3,
      securityLake: false,
      securityLakeSourcePrefix: 'fleet-audit',
      sinks: [],
    });
  });

  it('needs the lake bucket and external id to turn Security Lake on, and a prefix that fits the source names', () => {
    expect(() => parseConfig(read({ securityLake: 'true' }))).toThrow(
      'securityLake: set securityLakeBucket and securityLakeExternalId',
    );
    const on = { securityLake: 'true', securityLakeBucket: 'aws-security-data-lake-x', securityLakeExternalId: 'ex' };
    expect(parseConfig(read(on)).securityLake).toBe(true);
    expect(parseConfig(read({ securityLake: 'false' })).securityLake).toBe(false);
    expect(() => parseConfig(read({ ...on, securityLakeSourcePrefix: 'a-prefix-far-too-long' }))).toThrow(
      'securityLakeSourcePrefix',
    );
  });

  it('accepts -c values, which arrive as strings', () => {
    const config = parseConfig(read({ retentionMonths: '24', objectLockDays: '2555', alarmEmail: 'ops@example.com' }));
    expect(config).toMatchObject({ retentionMonths: 24, objectLockDays: 2555, alarmEmail: 'ops@example.com' });
  });

  it('treats an empty value as unset', () => {
    expect(parseConfig(read({ alarmEmail: '' })).alarmEmail).toBeUndefined();
  });

  it.each([
    ['retentionMonths', 'twelve'],
    ['premakeMonths', 0],
    ['objectLockMode', 'LEGAL_HOLD'],
    ['objectLockDays', -1],
    ['alarmEmail', 'not-an-email'],
    ['envName', 'Prod_1'],
    ['athenaBytesScannedCutoff', 1000],
    ['jwtIssuer', 'http://issuer.example.com'],
  ])('names the bad key %s', (key, value) => {
    expect(() => parseConfig(read({ [key]: value }))).toThrow(
      new RegExp(`^Invalid deploy configuration[\\s\\S]*\\b${key}:`),
    );
  });

  it('needs jwtIssuer and jwtAudience together', () => {
    expect(() => parseConfig(read({ jwtIssuer: 'https://login.example.com' }))).toThrow(
      /jwtAudience: set jwtIssuer and jwtAudience together/,
    );
    expect(parseConfig(read({ jwtIssuer: 'https://login.example.com', jwtAudience: 'audit-trail' }))).toMatchObject({
      jwtIssuer: 'https://login.example.com',
      jwtAudience: 'audit-trail',
    });
  });

  it('names a missing key', () => {
    expect(() => parseConfig((key) => (key === 'envName' ? undefined : CDK_CONTEXT[key]))).toThrow(/envName:/);
  });
});
