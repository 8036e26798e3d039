import { runMaintenance } from '../../adapters/postgres/maintenance/maintain.ts';
import { createPool, databaseOptionsFromEnv } from '../../adapters/postgres/pool.ts';
import { describeMaintenance } from '../../core/lifecycle/report.ts';
import { lifecycleConfigShape } from '../maintenance/config.ts';
import { securityLakeDeps } from '../maintenance/security-lake.ts';
import { archiveStore, maintenanceOptions } from '../maintenance/setup.ts';
import { loadConfig } from '../runtime/config.ts';
import { progressBar } from './progress.ts';

export interface MaintainOptions {
  /** The instant to maintain as of (default: now). */
  now?: Date | undefined;
  json?: boolean | undefined;
}

/** `trail maintain` and `trail archive run`: one maintenance run; exit 1 when it failed. */
export async function runMaintain(options: MaintainOptions): Promise<number> {
  const config = loadConfig(lifecycleConfigShape);
  const now = options.now ?? new Date();
  const pool = createPool({ ...databaseOptionsFromEnv(), max: 2 });
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
