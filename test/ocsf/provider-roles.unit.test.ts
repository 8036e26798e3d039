import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { assumedRoleCredentials, RENEW_BEFORE_MS } from '../../shared/adapters/sts/assumed-role.ts';
import type { LakeClients } from '../../shared/apps/maintenance/provider-roles.ts';
import { securityLakeStore } from '../../shared/apps/maintenance/security-lake.ts';
import { securityLakeConfigShape } from '../../shared/apps/maintenance/security-lake-config.ts';
import { OCSF_CLASS_KEYS, type OcsfClassKey } from '../../shared/core/ocsf/classes.ts';
import { securityLakeObjectKey, securityLakeSourceName } from '../../shared/core/ocsf/security-lake.ts';
import { s3Wire } from '../support/s3-wire.ts';

const sts = mockClient(STSClient);
const BUCKET = 'aws-security-data-lake-eu-west-1-abc123';
const roleOf = (key: OcsfClassKey) => `arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-${key}`;
const ROLES = Object.fromEntries(OCSF_CLASS_KEYS.map((key) => [key, roleOf(key)])) as Record<OcsfClassKey, string>;
const config = z.object(securityLakeConfigShape);
const env = (extra: Record<string, string> = {}) =>
  config.parse({
    SECURITY_LAKE_BUCKET: BUCKET,
    SECURITY_LAKE_PROVIDER_ROLES: JSON.stringify(ROLES),
    SECURITY_LAKE_EXTERNAL_ID: 'fleet-audit-external-id',
    ...extra,
  });
const keyOf = (key: OcsfClassKey, day: string) =>
  securityLakeObjectKey(
    {
      sourceName: securityLakeSourceName('fleet-audit', key),
      region: 'eu-west-1',
      accountId: '123456789012',
      eventDay: day,
    },
    '2024-01',
    1,
  );
/** The credentials STS hands out for a role: named after it, so a test can tell whose they are. */
const credentialsOf = (roleArn: string, expiresInMs = 3_600_000) => ({
  AccessKeyId: `AKIA-${roleArn.split('-').pop()}`,
  SecretAccessKey: `secret-${roleArn}`,
  SessionToken: `token-${roleArn}`,
  Expiration: new Date(Date.now() + expiresInMs),
});

const wire = s3Wire();

let dir: string;
let file: string;
const OWN = { accessKeyId: 'AKIA-OWN', secretAccessKey: 'own-secret' };
const clients: LakeClients = {
  sts: () => new STSClient({ region: 'eu-west-1' }),
  s3: (credentials) =>
    new S3Client({ region: 'eu-west-1', requestHandler: wire.handler, credentials: credentials ?? OWN }),
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'provider-roles-'));
  file = join(dir, 'object.parquet');
  await writeFile(file, 'PAR1 not really parquet PAR1');
});
afterAll(() => rm(dir, { recursive: true, force: true }));
beforeEach(() => {
  sts.reset();
  wire.signed.length = 0;
  sts.on(AssumeRoleCommand).callsFake((input: { RoleArn: string }) => ({ Credentials: credentialsOf(input.RoleArn) }));
});

describe("Security Lake's bucket written through each source's provider role", () => {
  it('assumes the class’s role with the external id and a session naming the trail, once per role for the run', async () => {
    const store = securityLakeStore(env(), clients)!;
    await store.put(keyOf('apiActivity', '20240103'), { file });
    await store.put(keyOf('apiActivity', '20240117'), { file });
    await store.put(keyOf('authentication', '20240103'), { file });
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
      {
        RoleArn: ROLES.apiActivity,
        ExternalId: 'fleet-audit-external-id',
        RoleSessionName: 'fleet-audit-trail-ocsf-api',
      },
      {
        RoleArn: ROLES.authentication,
        ExternalId: 'fleet-audit-external-id',
        RoleSessionName: 'fleet-audit-trail-ocsf-auth',
      },
    ]);
  });

  it('puts each object with the credentials of its own source’s role', async () => {
    const store = securityLakeStore(env(), clients)!;
    const keys = OCSF_CLASS_KEYS.map((key) => [key, keyOf(key, '20240131')] as const);
    for (const [, key] of keys) await store.put(key, { file });
    expect(wire.signed).toEqual(
      keys.map(([key, objectKey]) => ({
        host: `${BUCKET}.s3.eu-west-1.amazonaws.com`,
        path: `/${objectKey}`,
        method: 'PUT',
        accessKeyId: credentialsOf(roleOf(key)).AccessKeyId,
        sessionToken: `token-${roleOf(key)}`,
        encryption: 'AES256',
      })),
    );
  });

  it('refuses a key under no custom source, and reports a refused AssumeRole naming the role', async () => {
    const store = securityLakeStore(env(), clients)!;
    await expect(store.put('ext/someone-else/x.parquet', { file })).rejects.toThrow(
      'is under none of the custom sources fleet-audit-account, fleet-audit-auth',
    );
    await expect(store.put('archive/x.parquet', { file })).rejects.toThrow('is under none of the custom sources');
    sts.on(AssumeRoleCommand).rejects(new Error('not authorized to perform: sts:AssumeRole'));
    await expect(store.put(keyOf('entityManagement', '20240103'), { file })).rejects.toThrow(
      `assuming ${ROLES.entityManagement}: not authorized to perform: sts:AssumeRole`,
    );
    expect(wire.signed).toEqual([]);
  });

  it('writes with the process’s own credentials when no provider roles are configured', async () => {
    const store = securityLakeStore(config.parse({ SECURITY_LAKE_BUCKET: BUCKET }), clients)!;
    await store.put(keyOf('apiActivity', '20240103'), { file });
    expect(sts.commandCalls(AssumeRoleCommand)).toEqual([]);
    expect(wire.signed.map((s) => [s.path, s.accessKeyId, s.sessionToken])).toEqual([
      [`/${keyOf('apiActivity', '20240103')}`, 'AKIA-OWN', undefined],
    ]);
  });

  it('checks the configuration: every class a role ARN, an external id and the bucket with them', () => {
    const { apiActivity: _, ...missing } = ROLES;
    expect(() => env({ SECURITY_LAKE_PROVIDER_ROLES: JSON.stringify(missing) })).toThrow('apiActivity');
    expect(() => env({ SECURITY_LAKE_PROVIDER_ROLES: JSON.stringify({ ...ROLES, apiActivity: 'r' }) })).toThrow(
      'must be an IAM role ARN',
    );
    expect(() => env({ SECURITY_LAKE_PROVIDER_ROLES: '{not json' })).toThrow('must be a JSON object');
    const { SECURITY_LAKE_EXTERNAL_ID: __, ...noExternalId } = env();
    expect(() => securityLakeStore(noExternalId, clients)).toThrow('needs SECURITY_LAKE_EXTERNAL_ID');
    expect(() => securityLakeStore({ ...env(), SECURITY_LAKE_BUCKET: undefined }, clients)).toThrow(
      'SECURITY_LAKE_PROVIDER_ROLES writes to SECURITY_LAKE_BUCKET',
    );
  });
});

describe('assumed-role credentials', () => {
  it('are renewed shortly before they expire, and shared by concurrent callers', async () => {
    let now = Date.parse('2024-02-01T00:00:00Z');
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce({
        Credentials: { ...credentialsOf('r'), AccessKeyId: 'AKIA-1', Expiration: new Date(now + 3_600_000) },
      })
      .resolvesOnce({
        Credentials: { ...credentialsOf('r'), AccessKeyId: 'AKIA-2', Expiration: new Date(now + 7_200_000) },
      });
    const credentials = assumedRoleCredentials(new STSClient({ region: 'eu-west-1' }), {
      roleArn: 'arn:aws:iam::123456789012:role/r',
      externalId: 'x-id',
      sessionName: 'fleet-audit-trail-ocsf-api',
      now: () => now,
    });
    const [a, b] = await Promise.all([credentials(), credentials()]);
    expect(a).toBe(b);
    expect(a.accessKeyId).toBe('AKIA-1');
    now += 3_600_000 - RENEW_BEFORE_MS - 1;
    expect((await credentials()).accessKeyId).toBe('AKIA-1');
    now += 2;
    expect((await credentials()).accessKeyId).toBe('AKIA-2');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it('refuse an answer without credentials', async () => {
    sts.on(AssumeRoleCommand).resolves({});
    const credentials = assumedRoleCredentials(new STSClient({ region: 'eu-west-1' }), {
      roleArn: 'arn:aws:iam::123456789012:role/r',
      externalId: 'x-id',
      sessionName: 's-1',
    });
    await expect(credentials()).rejects.toThrow('assuming arn:aws:iam::123456789012:role/r');
  });
});
