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

export type DatabaseOptions = (UrlConnection | IamConnection) & {
  /** Every session runs `SET ROLE` to this role, so it has only that role's privileges (audit_writer, audit_reader). */
  role?: string;
  max?: number;
  application_name?: string;
};

export function createPool(options: DatabaseOptions): pg.Pool {
  const { role, max, application_name } = options;
  const config: pg.PoolConfig = { max, application_name, ...connectionConfig(options) };
  if (role) {
    // Awaited by the pool before the connection is handed out; a failed SET ROLE closes it instead.
    config.onConnect = async (client) => {
      await client.query(`SET ROLE ${pg.escapeIdentifier(role)}`);
    };
  }
  const pool = new pg.Pool(config);
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

/** `DATABASE_URL`, or the `DB_*` variables of an IAM connection; `DB_ROLE` optionally narrows the session's role. */
export function databaseOptionsFromEnv(env: Env = process.env): DatabaseOptions {
  const withRole = env['DB_ROLE'] ? { role: env['DB_ROLE'] } : {};
  if (env['DATABASE_URL']) return { connectionString: env['DATABASE_URL'], ...withRole };
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
    ...withRole,
  };
}
