import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createScratchDatabase, withClient } from '../../bench/scratch-database.ts';
import {
  generateLoginPasswords,
  generatePassword,
  setLoginPasswords,
} from '../../shared/adapters/postgres/login-users.ts';
import { LOGIN_USERS, type LoginPasswords } from '../../shared/core/contracts/database-users.ts';

/** The tests' database owner: the name the deployed owner has (infra/constructs/event-database.ts). */
export const TEST_OWNER = 'audit_owner';

/**
 * Makes (or resets) the owner the way Aurora/RDS make their master user: LOGIN NOSUPERUSER CREATEROLE CREATEDB, a
 * member of pg_signal_backend as rds_superuser is (DROP DATABASE … WITH (FORCE) ends other users' sessions). Then,
 * as that owner, migrates a scratch database once, so the login users exist before test files migrate in parallel,
 * and sets their passwords for this run.
 */
export async function provisionManagedOwner(
  adminUrl: string,
): Promise<{ ownerUrl: string; passwords: LoginPasswords }> {
  const ownerPassword = generatePassword();
  await withClient(adminUrl, async (admin) => {
    const attributes = `LOGIN NOSUPERUSER CREATEROLE CREATEDB NOREPLICATION NOBYPASSRLS PASSWORD ${pg.escapeLiteral(ownerPassword)}`;
    const exists = await admin.query('SELECT FROM pg_roles WHERE rolname = $1', [TEST_OWNER]);
    await admin.query(`${exists.rowCount ? 'ALTER' : 'CREATE'} ROLE ${TEST_OWNER} ${attributes}`);
    await admin.query(`GRANT pg_signal_backend TO ${TEST_OWNER}`);
    // The owner creates its databases from this one; as on RDS, where the master user may connect to `postgres`.
    const { database } = (await admin.query<{ database: string }>('SELECT current_database() AS database')).rows[0]!;
    await admin.query(`GRANT CONNECT ON DATABASE ${pg.escapeIdentifier(database)} TO ${TEST_OWNER}`);
    await adoptExistingLoginUsers(admin);
  });
  const url = new URL(adminUrl);
  url.username = TEST_OWNER;
  url.password = encodeURIComponent(ownerPassword);
  const ownerUrl = url.toString();

  const passwords = generateLoginPasswords();
  const scratch = await createScratchDatabase(ownerUrl, `t_provision_${randomBytes(4).toString('hex')}`, {
    passwords,
    applicationName: 'test:provision',
  });
  try {
    await setLoginPasswords(scratch.pool, passwords);
  } finally {
    await scratch.drop();
  }
  return { ownerUrl, passwords };
}

/**
 * A server that already has the login users (made by a superuser in an earlier run, say): on PostgreSQL 16+ their
 * creator alone holds ADMIN on them, so give the owner what creating them would have given it, ADMIN without
 * membership. PostgreSQL 15 lets any CREATEROLE role administer non-superuser roles.
 */
async function adoptExistingLoginUsers(admin: pg.Client): Promise<void> {
  const version = Number((await admin.query('SHOW server_version_num')).rows[0].server_version_num);
  if (version < 160000) return;
  const { rows } = await admin.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [
    Object.values(LOGIN_USERS),
  ]);
  for (const { rolname } of rows) {
    await admin.query(
      `GRANT ${pg.escapeIdentifier(rolname)} TO ${TEST_OWNER} WITH ADMIN TRUE, INHERIT FALSE, SET FALSE`,
    );
  }
}
