import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { runTrail } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestStack } from '../support/local-stack.ts';
import { waitForHorizon } from '../support/sealed-log.ts';
import { asSuperuser, superuserPool } from '../support/superuser.ts';

const TOKEN = 'admin-token-verify';

/**
 * `trail verify` with no flags beside a running `npm start`: the stack's database (from DATA_DIR/stack.json, as
 * audit_sealer), its archive and its sealer's public key, all found in DATA_DIR.
 */
describe('trail verify against the running local stack', () => {
  let db: TestDatabase;
  let stack: Awaited<ReturnType<typeof startTestStack>>;

  beforeAll(async () => {
    db = await createTestDatabase('e2e_verify_local');
    stack = await startTestStack(db.url, `${TOKEN}=alice:admin`);
    const response = await fetch(`${stack.httpUrl}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(
        Array.from({ length: 20 }, (_, i) => ({ type: 'robot.online', entity: { type: 'robot', id: `r-${i}` } })),
      ),
    });
    expect(response.status).toBe(202);
    expect(await stack.drain(15_000)).toBe(true);
    await waitForHorizon(db.pool);
    await stack.sealNow();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  afterAll(async () => {
    await stack?.stop();
    await db?.drop();
  });

  const verify = () => {
    vi.stubEnv('DATA_DIR', stack.dataDir);
    vi.stubEnv('DATABASE_URL', '');
    vi.stubEnv('ARCHIVE_URL', undefined);
    vi.stubEnv('DB_SEALER_PASSWORD', inject('loginPasswords').audit_sealer);
    return runTrail(['verify']);
  };

  it('finds the log intact: exit 0', async () => {
    const { code, out, err } = await verify();
    expect(err).toBe('');
    expect(code).toBe(0);
    // The 20 events, and the stack's own records of the API requests (sealed or pending).
    expect(out).toMatch(/^verify \(full\): \d+ checkpoints, \d+ leaves .*: no divergence\n$/);
  });

  it('finds an event a superuser changed: exit 1, its id and seq first', async () => {
    const admin = superuserPool(db.name);
    try {
      const { rows } = await admin.query<{ id: string }>('SELECT event_id::text AS id FROM event_log WHERE seq = 2');
      await asSuperuser(admin, (client) =>
        client.query(`UPDATE events SET payload = '{"reason": "forged"}' WHERE id = $1`, [rows[0]!.id]),
      );
      const { code, out } = await verify();
      expect(code).toBe(1);
      expect(out.split('\n')[0]).toMatch(new RegExp(`^event-modified seq 2 id ${rows[0]!.id}: `));
    } finally {
      await admin.end();
    }
  });
});
