import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';

/** A plain connection string (local PostgreSQL, CI). */
export interface UrlConnection {
  connectionString: string;
}

/** IAM authentication, e.g. to RDS Proxy: a short-lived token replaces the password on every new connection. */
export interface IamConnection {
  host: string;
  port: number;
  database: string;
  user: string;
  iamAuth: true;
  region: string;
}

/**
 * The user is the connection's: each function logs in as its own database user (shared/adapters/postgres/login-users.ts), never
 * as the owner narrowed by SET ROLE, which its session could undo with RESET ROLE.
 */
export type DatabaseOptions = (UrlConnection | IamConnection) & {
  max?: number;
  application_name?: string;
};

export function createPool(options: DatabaseOptions): pg.Pool {
  const { max, application_name } = options;
  const pool = new pg.Pool({ max, application_name, ...connectionConfig(options) });
  // An idle connection the server or RDS Proxy closes emits 'error' on the pool; unheard, it would crash the process.
  // The pool drops that client and opens a new one on the next query, so noting it is enough.
  pool.on('error', (error) => {
    console.warn(`database connection closed while idle: ${error.message}`);
  });
  return pool;
}

function connectionConfig(options: UrlConnection | IamConnection): pg.PoolConfig {
  if ('connectionString' in options) return { connectionString: options.connectionString };
  const { host, port, database, user, region } = options;
  const signer = new Signer({ hostname: host, port, username: user, region });
  return {
    host,
    port,
    database,
    user,
    // Called for every new connection: IAM tokens expire after 15 minutes.
    password: () => signer.getAuthToken(),
    // IAM tokens are only accepted over TLS; RDS certificates chain to public roots Node already trusts.
    ssl: { rejectUnauthorized: true },
  };
}

type Env = Record<string, string | undefined>;

/** `DATABASE_URL`, or the `DB_*` variables of an IAM connection (`DB_USER`: the function's own database user). */
export function databaseOptionsFromEnv(env: Env = process.env): DatabaseOptions {
  if (env['DATABASE_URL']) return { connectionString: env['DATABASE_URL'] };
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`${name} is not set (or set DATABASE_URL)`);
    return value;
  };
  const host = required('DB_HOST');
  if (env['DB_IAM_AUTH'] !== 'true') {
    throw new Error('DB_IAM_AUTH is not "true": DB_* connections authenticate with IAM only (or set DATABASE_URL)');
  }
  const port = Number(env['DB_PORT'] ?? '5432');
  if (!Number.isInteger(port) || port <= 0 || port > 65535)
    throw new Error(`DB_PORT must be a port number, got "${env['DB_PORT']}"`);
  return {
    host,
    port,
    database: required('DB_NAME'),
    user: required('DB_USER'),
    iamAuth: true,
    region: required('AWS_REGION'),
  };
}
