import { runMaintenance } from '../../adapters/postgres/maintenance/maintain.ts';
import { readMaintenancePlan } from '../../adapters/postgres/maintenance/plan.ts';
import { createPool, databaseOptionsFromEnv } from '../../adapters/postgres/pool.ts';
import { describePlan } from '../../core/lifecycle/plan.ts';
import { describeMaintenance } from '../../core/lifecycle/report.ts';
import { lifecycleConfigShape } from '../maintenance/config.ts';
import { securityLakeDeps } from '../maintenance/security-lake.ts';
import { archiveStore, maintenanceOptions } from '../maintenance/setup.ts';
import { loadConfig } from '../runtime/config.ts';
import { progressBar } from './progress.ts';

export interface MaintainOptions {
  /** The instant to maintain as of (default: now). */
  now?: Date | undefined;
  /** Print what the run would do, and do nothing. */
  dryRun?: boolean | undefined;
  json?: boolean | undefined;
}

/**
 * `trail maintain` and `trail archive run`: one maintenance run; exit 1 when it failed. `--now` rehearses another
 * day for real (partitions made, months archived and dropped), and says so first; `--dry-run` prints the plan only.
 */
export async function runMaintain(options: MaintainOptions): Promise<number> {
  const config = loadConfig(lifecycleConfigShape);
  const now = options.now ?? new Date();
  const pool = createPool({ ...databaseOptionsFromEnv(), max: 2 });
  if (options.dryRun) {
    try {
      const plan = await readMaintenancePlan(pool, maintenanceOptions(config, now));
      if (options.json) console.log(JSON.stringify(plan, null, 2));
      else for (const line of describePlan(plan, config.ARCHIVE_URL, config.RETENTION_MONTHS)) console.log(line);
      return 0;
    } finally {
      await pool.end();
    }
  }
  if (options.now && !options.json)
    console.log(
      `acting for real as of ${now.toISOString()}: partitions are created, and months older than RETENTION_MONTHS ` +
        `(${config.RETENTION_MONTHS}) as of then are archived and dropped from PostgreSQL; --dry-run prints the plan without acting`,
    );
  const store = archiveStore(config);
  const bar = progressBar();
  try {
    const result = await runMaintenance(
      { pool, store, ...securityLakeDeps(config, store) },
      {
        ...maintenanceOptions(config, now),
        onProgress: bar.update,
        log: (message) => {
          if (!process.stdout.isTTY && !options.json) console.log(message);
        },
      },
    );
    bar.end();
    if (options.json) console.log(JSON.stringify(result, null, 2));
    else for (const line of describeMaintenance(result)) console.log(line);
    return result.status === 'failed' ? 1 : 0;
  } finally {
    await pool.end();
  }
}
