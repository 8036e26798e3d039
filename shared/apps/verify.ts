import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { archiveLogReader } from '../adapters/duckdb/archive-reader.ts';
import { PgLogDatabase } from '../adapters/postgres/log-audit.ts';
import type { ObjectStore } from '../core/ports/object-store.ts';
import { type VerificationReport, verifyLog } from '../core/tamper/verify.ts';

export interface VerifyTrailDeps {
  /** PostgreSQL, as a user that reads events, event_ids, event_log and checkpoints; absent: the archive alone. */
  pool?: pg.Pool;
  /** The archive; absent: PostgreSQL alone (no copies to compare with). */
  store?: ObjectStore;
  publicKeys: readonly string[];
  /** Local scratch space for the archived files while they are read. */
  workDir: string;
  maxFindings?: number;
  stop?: () => boolean;
  /** How long after it was issued a checkpoint's archive copy is due (default DEFAULT_COPY_GRACE_MS). */
  copyGraceMs?: number;
}

/** `trail verify` and the scheduled verification: the log, PostgreSQL and the archive, against the public key. */
export function verifyTrail(deps: VerifyTrailDeps): Promise<VerificationReport> {
  return verifyLog({
    publicKeys: deps.publicKeys,
    ...(deps.pool && { database: new PgLogDatabase(deps.pool) }),
    ...(deps.store && {
      archive: archiveLogReader(deps.store, { workDir: join(deps.workDir, `verify-${process.pid}`) }),
    }),
    ...(deps.maxFindings !== undefined && { maxFindings: deps.maxFindings }),
    ...(deps.stop && { stop: deps.stop }),
    ...(deps.copyGraceMs !== undefined && { copyGraceMs: deps.copyGraceMs }),
  });
}

/** A public key file's PEM, checked to be one; undefined when there is no such file. */
export async function readPublicKey(file: string): Promise<string | undefined> {
  const pem = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (pem !== undefined && !pem.includes('-----BEGIN PUBLIC KEY-----'))
    throw new Error(`${file} is not a PEM public key (-----BEGIN PUBLIC KEY-----)`);
  return pem;
}
