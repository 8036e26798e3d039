import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type pg from 'pg';
import { setLoginPasswords } from '../adapters/postgres/login-users.ts';
import { migrate } from '../adapters/postgres/migrate.ts';
import { createPool, databaseOptionsFromEnv } from '../adapters/postgres/pool.ts';
import { loginSecretArns, readLoginPasswords } from '../adapters/secrets-manager/login-secrets.ts';
import type { LoginPasswords } from '../core/contracts/database-users.ts';
import { loadConfig } from './runtime/config.ts';
import { logger } from './runtime/observability.ts';

export interface MigrateDeps {
  /** The owner's pool: migrations create and alter what the login users may touch. */
  pool: pg.Pool;
  /** The login users' passwords, where RDS Proxy reads them (Secrets Manager). */
  loginPasswords: () => Promise<LoginPasswords>;
}

/**
 * Applies pending migrations, then sets the login users' passwords to their secrets' values, so RDS Proxy can log
 * them in. Every deploy that changes this function runs it again, which also repairs a password changed by hand.
 */
export function createMigrateHandler(deps: MigrateDeps) {
  return async () => {
    const result = await migrate(deps.pool, { log: (message) => logger.info(message) });
    await setLoginPasswords(deps.pool, await deps.loginPasswords());
    logger.info('migrations done, login users ready', { applied: result.applied });
    return result;
  };
}

/** Runs at deploy (CDK Trigger): a failure fails the deployment. */
/** The Lambda wiring, from the function's environment (functions/migrate/handler.ts). */
export function migrateFromEnvironment() {
  const { DB_LOGIN_SECRETS } = loadConfig({ DB_LOGIN_SECRETS: loginSecretArns });
  const secrets = new SecretsManagerClient({});
  const migrateOnce = createMigrateHandler({
    pool: createPool({ ...databaseOptionsFromEnv(), max: 1 }),
    loginPasswords: () => readLoginPasswords(secrets, DB_LOGIN_SECRETS),
  });
  return migrateOnce;
}
