import type { MessagePort } from 'node:worker_threads';
import { createPool } from '../../adapters/postgres/pool.ts';
import type { VerificationReport } from '../../core/tamper/verify.ts';
import { archiveStore } from '../maintenance/setup.ts';
import { verifyTrail } from '../verify.ts';

/** What the stack's maintenance gives a verification's worker thread. */
export interface VerifyThreadOptions {
  /** The owner's database URL, as maintenance has it. */
  databaseUrl: string;
  archiveUrl: string;
  archiveKmsKeyId?: string | undefined;
  workDir: string;
  publicKeyPem: string;
}

export type FromVerifier = { type: 'report'; report: VerificationReport } | { type: 'failed'; error: string };

/** The worker thread's side: its own pool, one verification, its report sent on `port`. */
export async function run(options: VerifyThreadOptions, port: MessagePort): Promise<void> {
  const pool = createPool({ connectionString: options.databaseUrl, max: 1, application_name: 'verify' });
  try {
    const report = await verifyTrail({
      pool,
      store: archiveStore({ ARCHIVE_URL: options.archiveUrl, ARCHIVE_KMS_KEY_ID: options.archiveKmsKeyId }),
      publicKeys: [options.publicKeyPem],
      workDir: options.workDir,
    });
    port.postMessage({ type: 'report', report } satisfies FromVerifier);
  } finally {
    await pool.end();
  }
}
