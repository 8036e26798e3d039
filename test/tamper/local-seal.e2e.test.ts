import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointKey } from '../../shared/core/tamper/archive-keys.ts';
import { verifyCheckpointSignature } from '../../shared/core/tamper/checkpoint.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestStack } from '../support/local-stack.ts';
import { expectSoundLog, waitForHorizon } from '../support/sealed-log.ts';

const TOKEN = 'admin-token-seal';

describe('the local stack seals what it ingests', () => {
  let db: TestDatabase;
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  const logs: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('e2e_local_seal');
    stack = await startTestStack(db.url, `${TOKEN}=alice:admin`, (message) => logs.push(message));
  });
  afterAll(async () => {
    await stack?.stop();
    await db?.drop();
  });

  const post = async (count: number): Promise<string[]> => {
    const body = Array.from({ length: count }, (_, i) => ({
      type: 'robot.online',
      entity: { type: 'robot', id: `r-${i}` },
      payload: { reason: 'boot' },
    }));
    const response = await fetch(`${stack.httpUrl}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(202);
    return ((await response.json()) as { ids: string[] }).ids;
  };
  const sealedAmong = async (ids: string[]) =>
    Number(
      (await db.pool.query('SELECT count(*) AS n FROM event_log WHERE event_id = ANY($1::uuid[])', [ids])).rows[0].n,
    );

  it('signs with its own key, says where the public key is, and copies each checkpoint to the archive', async () => {
    const ids = await post(3);
    expect(await stack.drain(15_000)).toBe(true);
    await waitForHorizon(db.pool);
    const result = await stack.sealNow();
    expect(await sealedAmong(ids)).toBe(3);
    expect(stack.publicKeyPath).toBe(join(stack.dataDir, 'log-signing-key.pub.pem'));
    expect(logs.some((line) => line.includes(`public key for auditors: ${stack.publicKeyPath}`))).toBe(true);
    const publicKey = await readFile(stack.publicKeyPath, 'utf8');
    expect(verifyCheckpointSignature(result.checkpoint, publicKey)).toBe(true);
    const copy = join(stack.dataDir, 'archive', checkpointKey(result.checkpoint.body.number));
    expect(JSON.parse(await readFile(copy, 'utf8'))).toEqual(result.checkpoint);
    expect(existsSync(join(stack.dataDir, 'log-signing-key.pem'))).toBe(true);
  });

  it('on a clean stop, seals what the writer drained last', async () => {
    const publicKey = await readFile(stack.publicKeyPath, 'utf8');
    const ids = await post(5);
    await stack.stop();
    expect(await sealedAmong(ids)).toBe(5);
    // Everything stored is sealed, the API's own audit records included, and every checkpoint verifies.
    await expectSoundLog(db.pool, publicKey);
  });
});
