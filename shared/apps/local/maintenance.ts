import { join } from 'node:path';
import { runMaintenance } from '../../adapters/postgres/maintenance/maintain.ts';
import { createPool } from '../../adapters/postgres/pool.ts';
import { describeMaintenance } from '../../core/lifecycle/report.ts';
import type { MaintenanceResult } from '../../core/lifecycle/result.ts';
import type { VerificationReport } from '../../core/tamper/verify.ts';
import { lifecycleConfigShape } from '../maintenance/config.ts';
import { securityLakeDeps } from '../maintenance/security-lake.ts';
import { archiveStore, maintenanceOptions } from '../maintenance/setup.ts';
import { type ScheduledVerification, verifyAfterMaintenance } from '../maintenance/verification.ts';
import { loadConfig } from '../runtime/config.ts';
import { readPublicKey } from '../verify.ts';
import { MAINTENANCE_INTERVAL_MS, startMaintenanceScheduler } from './scheduler.ts';
import { localPublicKeyPath } from './signing-key.ts';
import { verifyInWorker } from './verify-process.ts';

/** The lifecycle settings from the environment, the archive defaulting to `<dataDir>/archive`. */
export function localArchiveConfig(dataDir: string) {
  return loadConfig(lifecycleConfigShape, {
    ...process.env,
    ARCHIVE_URL: process.env.ARCHIVE_URL ?? `file://${join(dataDir, 'archive')}`,
  });
}

/**
 * The local stack's maintenance: at start and then hourly (as EventBridge does on AWS), as the schema owner, archiving
 * to ARCHIVE_URL or `<dataDir>/archive`, then verifying the log with the local sealer's public key
 * (DATA_DIR/log-signing-key.pub.pem; before the sealer first made it, verification is skipped), in a worker thread.
 * Logs what each run did.
 */
export function startLocalMaintenance(options: {
  databaseUrl: string;
  dataDir: string;
  log: (message: string) => void;
  clock?: () => Date;
  /** Each run's result (it started at `at`; the next is due at `next`), and each verification's report. */
  onRun?: (at: Date, result: MaintenanceResult, next: Date) => void;
  onVerified?: (report: VerificationReport) => void;
}): { stop(): Promise<void> } {
  const config = localArchiveConfig(options.dataDir);
  const pool = createPool({ connectionString: options.databaseUrl, max: 2, application_name: 'maintenance' });
  const store = archiveStore(config);
  const lake = securityLakeDeps(config, store);
  const keyFile = localPublicKeyPath(options.dataDir);
  const verification: ScheduledVerification = {
    publicKey: async () => {
      const pem = await readPublicKey(keyFile);
      return pem ? { pem } : { skip: `no public key at ${keyFile} yet (the sealer writes it at its first round)` };
    },
    run: verifyInWorker({
      databaseUrl: options.databaseUrl,
      archiveUrl: config.ARCHIVE_URL,
      archiveKmsKeyId: config.ARCHIVE_KMS_KEY_ID,
      workDir: config.ARCHIVE_WORK_DIR,
    }),
  };
  const log = { info: options.log, error: options.log };
  const scheduler = startMaintenanceScheduler({
    run: async (now) => {
      const result = await runMaintenance({ pool, store, ...lake }, maintenanceOptions(config, now));
      for (const line of describeMaintenance(result)) options.log(line);
      options.onRun?.(now, result, new Date(now.getTime() + MAINTENANCE_INTERVAL_MS));
      const report = await verifyAfterMaintenance(verification, result, { log }).catch((error: Error) => {
        options.log(`verification could not run: ${error.message}`);
        return undefined;
      });
      if (report) options.onVerified?.(report);
      return result;
    },
    clock: options.clock ?? (() => new Date()),
    onResult: () => undefined,
    onError: (error) => options.log(`maintenance could not run: ${error.message}`),
  });
  options.log(
    `maintenance: now and hourly; retention ${config.RETENTION_MONTHS || 'forever'} months, archive ${store.url}` +
      (lake.securityLake ? `, OCSF for Security Lake to ${lake.securityLake.destination}` : ''),
  );
  return {
    async stop() {
      await scheduler.stop();
      await pool.end();
    },
  };
}
