import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyLocalDefaults } from '../../shared/apps/cli/local-defaults.ts';
import { writeOwnerUrl, writeStackInfo } from '../../shared/apps/local/stack-info.ts';

let dataDir: string;
const OWNER = 'postgres://owner:secret@127.0.0.1:5999/trail';

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'trail-defaults-'));
  await writeStackInfo(dataDir, {
    pid: process.pid,
    httpUrl: 'http://127.0.0.1:3999',
    mqttUrl: 'mqtt://127.0.0.1:1999',
    sqsEndpoint: 'http://127.0.0.1:4999',
    queueUrl: 'http://sqs.us-east-1.127.0.0.1:4999/000000000000/q.fifo',
    deadLetterQueueUrl: 'http://sqs.us-east-1.127.0.0.1:4999/000000000000/d.fifo',
    databaseUrl: 'postgres://127.0.0.1:5999/trail',
    archiveUrl: `file://${dataDir}/archive`,
  });
  await writeOwnerUrl(dataDir, OWNER);
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

describe('what the running stack fills in for a trail command', () => {
  it("fills the API, the owner's database and the archive where the environment says nothing, and takes them out again", async () => {
    const env: NodeJS.ProcessEnv = { DATA_DIR: dataDir };
    const { applied, restore } = await applyLocalDefaults(['maintain', '--dry-run'], env);
    expect(applied).toEqual({
      TRAIL_URL: 'http://127.0.0.1:3999',
      DATABASE_URL: OWNER,
      ARCHIVE_URL: `file://${dataDir}/archive`,
    });
    expect(env.DATABASE_URL).toBe(OWNER);
    restore();
    expect(env).toEqual({ DATA_DIR: dataDir });
  });

  it('leaves what the environment sets, finds the stack by --data-dir, and gives verify no DATABASE_URL', async () => {
    const env: NodeJS.ProcessEnv = { TRAIL_URL: 'http://elsewhere:1', DB_HOST: 'aurora' };
    expect((await applyLocalDefaults(['report', '--data-dir', dataDir], env)).applied).toEqual({
      ARCHIVE_URL: `file://${dataDir}/archive`,
    });
    expect(env.TRAIL_URL).toBe('http://elsewhere:1');
    expect((await applyLocalDefaults(['verify', `--data-dir=${dataDir}`], {})).applied).not.toHaveProperty(
      'DATABASE_URL',
    );
  });

  it('fills nothing for start, for help, or without a running stack', async () => {
    for (const argv of [['start'], ['status', '--help'], ['help', 'status']])
      expect((await applyLocalDefaults(argv, { DATA_DIR: dataDir })).applied).toEqual({});
    expect((await applyLocalDefaults(['status'], { DATA_DIR: join(dataDir, 'none') })).applied).toEqual({});
  });
});
