import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { loadLocalConfig } from '../../shared/apps/local/config.ts';
import { type LocalStack, type StackLog, startLocalStack } from '../../shared/apps/local/stack.ts';

/**
 * The local stack on free ports over a test database (the owner's URL; the stack logs its writer and reader in
 * with this run's passwords), its data in a temporary folder (readable by the `postgres` OS
 * user, as embedded PostgreSQL needs when run as root), returned as `dataDir`. `stop()` also removes the folder.
 */
export async function startTestStack(
  databaseUrl: string,
  localTokens: string,
  log: StackLog = () => {},
  /** LOCAL_DEVICES (thing:secret,…); unset, the stack's default dev device. */
  localDevices?: string,
  /** More of the stack's variables (SINKS, SINK_SECRET_<NAME>, …). */
  env: Record<string, string> = {},
): Promise<LocalStack & { dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'trail-test-'));
  await chmod(dataDir, 0o755);
  const stack = await startLocalStack(
    loadLocalConfig({
      DATABASE_URL: databaseUrl,
      MQTT_PORT: '0',
      PORT: '0',
      DATA_DIR: dataDir,
      LOCAL_TOKENS: localTokens,
      ...(localDevices !== undefined && { LOCAL_DEVICES: localDevices }),
      // The passwords this run set: the roles are the server's, shared by every test file.
      DB_WRITER_PASSWORD: inject('loginPasswords').audit_writer,
      DB_READER_PASSWORD: inject('loginPasswords').audit_reader,
      DB_SEALER_PASSWORD: inject('loginPasswords').audit_sealer,
      DB_FORWARDER_PASSWORD: inject('loginPasswords').audit_forwarder,
      ...env,
    }),
    log,
  );
  return {
    ...stack,
    dataDir,
    async stop() {
      await stack.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
