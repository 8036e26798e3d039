import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { loginSecretArns, readLoginPasswords } from '../../shared/adapters/secrets-manager/login-secrets.ts';

const ARNS = {
  audit_writer: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:writer-AbCdEf',
  audit_reader: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:reader-GhIjKl',
  audit_sealer: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:sealer-MnOpQr',
  audit_forwarder: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:forwarder-StUvWx',
};
const secret = (username: string, password = 'p'.repeat(32)) => ({
  SecretString: JSON.stringify({ username, password, engine: 'postgres', host: 'db.example', port: 5432 }),
});

describe('readLoginPasswords', () => {
  const secrets = mockClient(SecretsManagerClient);
  beforeEach(() => secrets.reset());

  it("reads each login user's secret by its ARN", async () => {
    secrets
      .on(GetSecretValueCommand)
      .rejects(new Error('unexpected secret'))
      .on(GetSecretValueCommand, { SecretId: ARNS.audit_writer })
      .resolves(secret('audit_writer', 'w'.repeat(32)))
      .on(GetSecretValueCommand, { SecretId: ARNS.audit_reader })
      .resolves(secret('audit_reader', 'r'.repeat(32)))
      .on(GetSecretValueCommand, { SecretId: ARNS.audit_sealer })
      .resolves(secret('audit_sealer', 's'.repeat(32)))
      .on(GetSecretValueCommand, { SecretId: ARNS.audit_forwarder })
      .resolves(secret('audit_forwarder', 'f'.repeat(32)));
    const client = new SecretsManagerClient({ region: 'eu-west-1' });
    expect(await readLoginPasswords(client, ARNS)).toEqual({
      audit_writer: 'w'.repeat(32),
      audit_reader: 'r'.repeat(32),
      audit_sealer: 's'.repeat(32),
      audit_forwarder: 'f'.repeat(32),
    });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(4);
  });

  it('refuses a secret made for another user, or without a usable password', async () => {
    const client = new SecretsManagerClient({ region: 'eu-west-1' });
    secrets.on(GetSecretValueCommand).resolves(secret('audit_owner'));
    await expect(readLoginPasswords(client, ARNS)).rejects.toThrow(/is for "audit_owner", not the login user "audit_/);
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves(secret('audit_writer', 'short'));
    await expect(readLoginPasswords(client, ARNS)).rejects.toThrow(/is not \{username, password\}/);
  });
});

describe('DB_LOGIN_SECRETS', () => {
  it('names a secret for each login user and nothing else', () => {
    expect(loginSecretArns.parse(JSON.stringify(ARNS))).toEqual(ARNS);
    expect(loginSecretArns.safeParse('{"audit_writer":"x"}').success).toBe(false);
    expect(loginSecretArns.safeParse(JSON.stringify({ ...ARNS, audit_owner: 'x' })).success).toBe(false);
    expect(loginSecretArns.safeParse('not json').error?.issues[0]?.message).toBe('is not JSON');
  });
});
