import { resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { loginUrl } from '../../adapters/postgres/login-users.ts';
import { createPool, type DatabaseOptions, databaseOptionsFromEnv } from '../../adapters/postgres/pool.ts';
import { LOGIN_USERS } from '../../core/contracts/database-users.ts';
import { findingLines, verificationSummary } from '../../core/tamper/verify-report.ts';
import { objectStoreFromUrl } from '../archive/store-from-url.ts';
import { savedLoginPassword } from '../local/login-passwords.ts';
import { localArchiveConfig } from '../local/maintenance.ts';
import { localPublicKeyPath } from '../local/signing-key.ts';
import { readStackInfo } from '../local/stack-info.ts';
import { readPublicKey, verifyTrail } from '../verify.ts';

export interface VerifyOptions {
  archiveOnly?: boolean | undefined;
  /** The archive's URL (default ARCHIVE_URL, else the local stack's DATA_DIR/archive). */
  archive?: string | undefined;
  /** A PEM file with the log's public key (default DATA_DIR/log-signing-key.pub.pem). */
  publicKey?: string | undefined;
  dataDir?: string | undefined;
  maxFindings?: number | undefined;
  json?: boolean | undefined;
}

/**
 * `trail verify`: the log against PostgreSQL and the archive, or the archive alone (`--archive-only`, read access
 * to it is all that is needed). Prints each finding, the first divergence first, or the report as JSON; exit 0 when
 * there is none, 1 when there is one (or verification could not run).
 *
 * It prints ids, seqs and keys, no event's content: like `trail archive status`, it reads without serving events.
 */
export async function runVerify(options: VerifyOptions): Promise<number> {
  const dataDir = resolve(options.dataDir ?? process.env.DATA_DIR ?? '.data');
  const keyFile = options.publicKey ?? localPublicKeyPath(dataDir);
  const pem = await readPublicKey(keyFile);
  if (!pem)
    throw new Error(
      `no public key at ${keyFile}: give the log's public key with --public-key FILE (the local stack's sealer writes DATA_DIR/log-signing-key.pub.pem)`,
    );
  const archiveUrl = options.archive ?? localArchiveConfig(dataDir).ARCHIVE_URL;
  const store = objectStoreFromUrl(archiveUrl, { client: () => new S3Client({}) });
  const pool = options.archiveOnly ? undefined : createPool({ ...(await verifierDatabase(dataDir)), max: 1 });
  try {
    const report = await verifyTrail({
      ...(pool && { pool }),
      store,
      publicKeys: [pem],
      workDir: localArchiveConfig(dataDir).ARCHIVE_WORK_DIR,
      ...(options.maxFindings !== undefined && { maxFindings: options.maxFindings }),
    });
    if (options.json) console.log(JSON.stringify(report, null, 2));
    else {
      for (const line of findingLines(report)) console.log(line);
      (report.ok ? console.log : console.error)(verificationSummary(report));
    }
    return report.ok ? 0 : 1;
  } finally {
    await pool?.end();
  }
}

/**
 * DATABASE_URL (or the DB_* variables) when set; else the running local stack's database, as audit_sealer, whose
 * SELECT on events, event_ids and the log tables is what verification reads, with its password (DB_SEALER_PASSWORD,
 * else DATA_DIR/db-login.json, read only).
 */
async function verifierDatabase(dataDir: string): Promise<DatabaseOptions> {
  if (process.env.DATABASE_URL || process.env.DB_HOST) return databaseOptionsFromEnv();
  const info = await readStackInfo(dataDir);
  if (!info.databaseUrl)
    throw new Error('the running local stack does not say where its database is: set DATABASE_URL');
  const password = process.env.DB_SEALER_PASSWORD || (await savedLoginPassword(dataDir, LOGIN_USERS.sealer));
  if (!password)
    throw new Error(`no password for ${LOGIN_USERS.sealer} in ${dataDir}/db-login.json: set DB_SEALER_PASSWORD`);
  return { connectionString: loginUrl(info.databaseUrl, LOGIN_USERS.sealer, password) };
}
