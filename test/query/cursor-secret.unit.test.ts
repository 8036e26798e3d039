import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCursorSecret } from '../../shared/adapters/secrets-manager/cursor-secret.ts';
import { localCursorSecret } from '../../shared/apps/local/cursor-secret.ts';
import { onceSucceeded } from '../../shared/apps/runtime/once.ts';

describe('localCursorSecret', () => {
  let dir = '';
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('is generated once per DATA_DIR, readable by the owner only, and reused on the next start', async () => {
    dir = await mkdtemp(join(tmpdir(), 'trail-cursor-'));
    const first = await localCursorSecret(dir);
    expect(Buffer.byteLength(first)).toBeGreaterThanOrEqual(32);
    expect((await stat(join(dir, 'cursor-secret'))).mode & 0o777).toBe(0o600);
    expect(await localCursorSecret(dir)).toBe(first);
    const other = await mkdtemp(join(tmpdir(), 'trail-cursor-'));
    expect(await localCursorSecret(other)).not.toBe(first);
    await rm(other, { recursive: true });
  });

  it('names a damaged file and how to recover', async () => {
    dir = await mkdtemp(join(tmpdir(), 'trail-cursor-'));
    await writeFile(join(dir, 'cursor-secret'), 'short\n');
    await expect(localCursorSecret(dir)).rejects.toThrow(/cursor-secret holds fewer than 32 bytes: delete it/);
  });
});

describe('readCursorSecret', () => {
  const secrets = mockClient(SecretsManagerClient);
  beforeEach(() => secrets.reset());
  const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cursor-AbCdEf';

  it('reads the secret string by its ARN, and refuses one too short to sign with', async () => {
    const client = new SecretsManagerClient({ region: 'eu-west-1' });
    secrets.on(GetSecretValueCommand, { SecretId: arn }).resolves({ SecretString: 's'.repeat(64) });
    expect(await readCursorSecret(client, arn)).toBe('s'.repeat(64));
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'short' });
    await expect(readCursorSecret(client, arn)).rejects.toThrow(/CURSOR_SECRET_ARN\) must hold at least 32 bytes/);
  });
});

describe('onceSucceeded', () => {
  it('keeps a success, and retries after a failure', async () => {
    let calls = 0;
    const get = onceSucceeded(async () => {
      calls++;
      if (calls === 1) throw new Error('throttled');
      return calls;
    });
    await expect(get()).rejects.toThrow('throttled');
    expect(await get()).toBe(2);
    expect(await get()).toBe(2);
    expect(calls).toBe(2);
  });
});
