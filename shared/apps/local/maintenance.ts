import { join } from 'node:path';
import { runMaintenance } from '../../adapters/postgres/maintenance/maintain.ts';
import { createPool } from '../../adapters/postgres/pool.ts';
import { describeMaintenance } from '../../core/lifecycle/report.ts';
import { lifecycleConfigShape } from '../maintenance/config.ts';
import { archiveStore, maintenanceOptions } from '../maintenance/setup.ts';
import { loadConfig } from '../runtime/config.ts';
import { startMaintenanceScheduler } from './scheduler.ts';

/** The lifecycle settings from the environment, the archive defaulting to `<dataDir>/archive`. */
export function localArchiveConfig(dataDir: string) {
  return loadConfig(lifecycleConfigShape, {
    ...process.env,
    ARCHIVE_URL: process.env.ARCHIVE_URL ?? `file://${join(dataDir, 'archive')}`,
  });
}

/**
 * The local stack's maintenance: at start and then hourly (as EventBridge does on AWS), as the schema owner, archiving
 * to ARCHIVE_URL or `<dataDir>/archive`. Logs what each run did.
 */
export function startLocalMaintenance(options: {
  databaseUrl: string;
  dataDir: string;
  log: (message: string) => void;
  clock?: () => Date;
}): { stop(): Promise<void> } {
  const config = localArchiveConfig(options.dataDir);
  const pool = createPool({ connectionString: options.databaseUrl, max: 2, application_name: 'maintenance' });
  const store = archiveStore(config);
  const scheduler = startMaintenanceScheduler({
    run: (now) => runMaintenance({ pool, store }, maintenanceOptions(config, now)),
    clock: options.clock ?? (() => new Date()),
    onResult: (result) => {
      for (const line of describeMaintenance(result)) options.log(line);
    },
    onError: (error) => options.log(`maintenance could not run: ${error.message}`),
  });
  options.log(
    `maintenance: now and hourly; retention ${config.RETENTION_MONTHS || 'forever'} months, archive ${store.url}`,
  );
  return {
    async stop() {
      await scheduler.stop();
      await pool.end();
    },
  };
}
