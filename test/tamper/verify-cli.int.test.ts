import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { databaseUrl } from '../../bench/scratch-database.ts';
import { LOGIN_USERS } from '../../shared/core/contracts/database-users.ts';
import { checkpointKey } from '../../shared/core/tamper/archive-keys.ts';
import { monthEvents } from '../lifecycle/fixture.ts';
import { runTrail } from '../support/cli.ts';
import { asSuperuser } from '../support/superuser.ts';
import { dropTrail, type SealedTrail, sealedTrail } from './sealed-trail.ts';

/**
 * `trail verify` as an operator and an auditor run it: against DATABASE_URL and ARCHIVE_URL, against the running
 * local stack (found by DATA_DIR/stack.json, logged in as audit_sealer), or the archive alone; exit 0 when the log
 * is intact, 1 with the findings one per line (the first divergence first) or as JSON, 2 when the command line is
 * wrong.
 */
let trail: SealedTrail;
let keyFile: string;
let archiveUrl: string;

beforeAll(async () => {
  trail = await sealedTrail('verify_cli');
  await trail.write(monthEvents({ year: 2024, month: 5 }, 40, 'cli'));
  await trail.seal();
  for (let i = 0; i < 11; i++) await trail.seal();
  keyFile = join(trail.dir, 'log-signing-key.pub.pem');
  await writeFile(keyFile, trail.signer.pem);
  archiveUrl = `file://${trail.archive.root}`;
}, 60_000);
afterEach(() => {
  vi.unstubAllEnvs();
});
afterAll(async () => {
  if (trail) await dropTrail(trail);
});

const ownerUrl = () => databaseUrl(inject('ownerServerUrl'), trail.name);
const withDatabase = () => {
  vi.stubEnv('DATABASE_URL', ownerUrl());
  vi.stubEnv('ARCHIVE_URL', archiveUrl);
};

describe('trail verify on an intact log', () => {
  it('against DATABASE_URL and ARCHIVE_URL: exit 0, what it checked', async () => {
    withDatabase();
    const { code, out } = await runTrail(['verify', '--public-key', keyFile]);
    expect(code).toBe(0);
    expect(out).toMatch(
      /^verify \(full\): 12 checkpoints, 40 leaves against 1 signed root, 40 PostgreSQL rows .*: no divergence\n$/,
    );
  });

  it('--json: the report', async () => {
    withDatabase();
    const { code, out } = await runTrail(['verify', '--public-key', keyFile, '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      ok: true,
      mode: 'full',
      first: null,
      findings: [],
      checked: { leaves: 40 },
    });
  });

  it('against the running local stack: its database as audit_sealer, its archive and public key in DATA_DIR', async () => {
    const dataDir = trail.dir;
    const server = new URL(ownerUrl());
    server.username = '';
    server.password = '';
    await writeFile(
      join(dataDir, 'stack.json'),
      JSON.stringify({
        pid: process.pid,
        httpUrl: 'http://127.0.0.1:1',
        mqttUrl: 'mqtt://127.0.0.1:1',
        sqsEndpoint: 'http://127.0.0.1:1',
        queueUrl: 'http://127.0.0.1:1/q',
        deadLetterQueueUrl: 'http://127.0.0.1:1/dlq',
        databaseUrl: server.toString(),
      }),
    );
    const passwords = inject('loginPasswords');
    await writeFile(join(dataDir, 'db-login.json'), JSON.stringify(passwords), { mode: 0o600 });
    vi.stubEnv('DATA_DIR', dataDir);
    vi.stubEnv('DATABASE_URL', '');
    vi.stubEnv('ARCHIVE_URL', undefined);
    const { code, out, err } = await runTrail(['verify']);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/40 PostgreSQL rows .*: no divergence/);
    expect(passwords[LOGIN_USERS.sealer]).toBeTruthy();
  });

  it('--archive-only: the archive alone, no database', async () => {
    vi.stubEnv('DATABASE_URL', 'postgres://nobody@127.0.0.1:1/nothing');
    const { code, out } = await runTrail([
      'verify',
      '--archive-only',
      '--archive',
      archiveUrl,
      '--public-key',
      keyFile,
    ]);
    expect(code).toBe(0);
    expect(out).toMatch(/^verify \(archive-only\): 12 checkpoints, 40 leaves against 1 signed root, 0 archived rows/);
  });
});

describe('trail verify usage', () => {
  it('--archive-only without --archive or --public-key, or a bad --max-findings: exit 2', async () => {
    for (const argv of [
      ['verify', '--archive-only', '--public-key', 'k.pem'],
      ['verify', '--archive-only', '--archive', 'file:///tmp/x'],
      ['verify', '--max-findings', '0'],
    ]) {
      const { code, err } = await runTrail(argv);
      expect(code, argv.join(' ')).toBe(2);
      expect(err).toMatch(/^trail verify: /);
    }
  });

  it('no public key: exit 1, saying where it looked', async () => {
    withDatabase();
    const { code, err } = await runTrail(['verify', '--public-key', join(trail.dir, 'none.pem')]);
    expect(code).toBe(1);
    expect(err).toMatch(/^trail verify: no public key at .*none\.pem/);
  });
});

describe('trail verify on a tampered log', () => {
  it('exit 1, each finding on its own line, the first divergence first', async () => {
    const { rows } = await trail.owner.query<{ id: string }>(
      'SELECT event_id::text AS id FROM event_log WHERE seq = 7',
    );
    await asSuperuser(trail.admin, (admin) =>
      admin.query(`UPDATE events SET payload = '{"forged": true}' WHERE id = $1`, [rows[0]!.id]),
    );
    withDatabase();
    const { code, out, err } = await runTrail(['verify', '--public-key', keyFile]);
    expect(code).toBe(1);
    expect(out.split('\n')[0]).toBe(
      `event-modified seq 7 id ${rows[0]!.id}: its row no longer hashes to the leaf sealed at seq 7`,
    );
    expect(err).toMatch(/: 1 finding\n$/);
    const json = await runTrail(['verify', '--public-key', keyFile, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out).first).toMatchObject({ kind: 'event-modified', seq: 7, id: rows[0]!.id });
  });

  it('--archive-only finds what was done to the archive', async () => {
    await trail.archive.put(checkpointKey(0), Readable.from([Buffer.from('{"forged": true}')]));
    const { code, out } = await runTrail([
      'verify',
      '--archive-only',
      '--archive',
      archiveUrl,
      '--public-key',
      keyFile,
    ]);
    expect(code).toBe(1);
    expect(out.split('\n')[0]).toMatch(/^checkpoint-forged checkpoint 0: /);
  });
});
