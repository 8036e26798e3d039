import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import pg from 'pg';
import { LOGIN_USERS, type LoginPasswords, type LoginUser } from '../../core/contracts/database-users.ts';

const SCRAM_ITERATIONS = 4096;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802/7677, as libpq's PQencryptPasswordConn makes
 * it). Sending the verifier instead of the password keeps the password out of the server's statement log.
 * Passwords are ASCII here (generated), for which SASLprep is the identity.
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16)): string {
  if (!/^[\x21-\x7e]+$/.test(password)) throw new Error('database passwords must be printable ASCII without spaces');
  const salted = pbkdf2Sync(password, salt, SCRAM_ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${SCRAM_ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** A password for a login user: 32 characters of base64url, accepted by every client and by RDS Proxy secrets. */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}

/** A new password for every login user (tests, benchmarks). */
export function generateLoginPasswords(): LoginPasswords {
  return Object.fromEntries(Object.values(LOGIN_USERS).map((user) => [user, generatePassword()])) as LoginPasswords;
}

/**
 * Sets the login users' passwords, as the owner (who created them, and on PostgreSQL 16+ holds ADMIN on them).
 * The roles and their LOGIN attribute come from the migrations; this only sets what must not live in them.
 */
export async function setLoginPasswords(owner: Pick<pg.Pool, 'query'>, passwords: LoginPasswords): Promise<void> {
  for (const [user, password] of Object.entries(passwords)) {
    // ALTER ROLE takes no bind parameters; the verifier is base64 and '$:' only, and escapeLiteral quotes it anyway.
    const statement = `ALTER ROLE ${pg.escapeIdentifier(user)} PASSWORD ${pg.escapeLiteral(scramVerifier(password))}`;
    for (let attempt = 1; ; attempt++) {
      try {
        await owner.query(statement);
        break;
      } catch (error) {
        // Roles are server-wide: two stacks (or test files) starting at once can update the same role's row together,
        // and the loser gets "tuple concurrently updated" (XX000). Setting it again is all it takes.
        if (attempt >= 20 || !/tuple concurrently updated/.test(String(error))) throw error;
        await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 20 * attempt));
      }
    }
  }
}

/** The owner's URL with another user and password: how the local stack and tests log in as a login user. */
export function loginUrl(ownerUrl: string, user: LoginUser, password: string): string {
  const url = new URL(ownerUrl);
  url.username = encodeURIComponent(user);
  url.password = encodeURIComponent(password);
  return url.toString();
}
