import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EventProof } from '../../shared/core/tamper/proof.ts';
import { runTrail } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestStack } from '../support/local-stack.ts';
import { waitForHorizon } from '../support/sealed-log.ts';

const TOKEN = 'admin-token-proof';
/** Two years ago: past the 13 months PostgreSQL keeps, so `trail maintain` archives its month. */
const LONG_AGO = new Date(Date.now() - 2 * 365 * 86_400_000).toISOString();

describe('per-event proofs through the local stack', () => {
  let db: TestDatabase;
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let dir: string;
  let recent: string;
  let old: string;

  beforeAll(async () => {
    db = await createTestDatabase('e2e_proof');
    dir = await mkdtemp(join(tmpdir(), 'trail-proof-'));
    stack = await startTestStack(db.url, `${TOKEN}=alice:admin`);
    const response = await fetch(`${stack.httpUrl}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify([
        { type: 'robot.online', entity: { type: 'robot', id: 'r-17' }, payload: { reason: 'boot' } },
        { type: 'robot.offline', entity: { type: 'robot', id: 'r-17' }, occurredAt: LONG_AGO, payload: { x: 1 } },
      ]),
    });
    expect(response.status).toBe(202);
    [recent, old] = ((await response.json()) as { ids: [string, string] }).ids;
    expect(await stack.drain(15_000)).toBe(true);
    await waitForHorizon(db.pool);
    await stack.sealNow();
  });
  afterAll(async () => {
    await stack?.stop();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  /** `trail …` as an auditor would run it against this stack: its API, its DATA_DIR (for the public key). */
  const trail = (...argv: string[]) => {
    vi.stubEnv('TRAIL_URL', stack.httpUrl);
    vi.stubEnv('TRAIL_TOKEN', TOKEN);
    vi.stubEnv('DATA_DIR', stack.dataDir);
    return runTrail(argv);
  };

  it('trail prove fetches a proof that trail verify-proof checks offline with the stack’s public key', async () => {
    const file = join(dir, 'recent.json');
    expect(await trail('prove', recent, '--out', file)).toMatchObject({ code: 0 });
    // The key is the stack's default: DATA_DIR/log-signing-key.pub.pem, where the stack says it is.
    expect(stack.publicKeyPath).toBe(join(stack.dataDir, 'log-signing-key.pub.pem'));
    const verified = await trail('verify-proof', file);
    expect(verified).toMatchObject({ code: 0, err: '' });
    expect(verified.out).toContain(`valid: event ${recent} (robot.online,`);
    const proof = JSON.parse(await readFile(file, 'utf8')) as EventProof;
    expect(proof.event).toMatchObject({
      id: recent,
      actor: { type: 'user', id: 'alice' },
      source: { channel: 'http' },
    });
  });

  it('an event whose month maintenance archived still proves, read from the archive', async () => {
    vi.stubEnv('DATABASE_URL', db.url);
    vi.stubEnv('ARCHIVE_URL', `file://${join(stack.dataDir, 'archive')}`);
    vi.stubEnv('ARCHIVE_WORK_DIR', join(dir, 'work'));
    const maintained = await runTrail(['maintain', '--json']);
    expect(maintained.code).toBe(0);
    const result = JSON.parse(maintained.out);
    expect(result.dropped).toEqual([LONG_AGO.slice(0, 7)]);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM events WHERE id = $1', [old]);
    expect(rows[0].n).toBe(0);

    const file = join(dir, 'old.json');
    expect(await trail('prove', old, '--out', file)).toMatchObject({ code: 0 });
    const proof = JSON.parse(await readFile(file, 'utf8')) as EventProof;
    expect(proof.event).toMatchObject({ id: old, type: 'robot.offline', occurredAt: LONG_AGO, payload: { x: 1 } });
    expect(await trail('verify-proof', file)).toMatchObject({ code: 0 });

    proof.event.payload['x'] = 2;
    await writeFile(file, JSON.stringify(proof));
    expect(await trail('verify-proof', file)).toMatchObject({
      code: 1,
      err: 'trail verify-proof: invalid: leaf does not match the event\n',
    });
  });
});
