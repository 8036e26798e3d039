import { parseArgs } from 'node:util';
import { lifecycleConfigShape } from '../lifecycle/config.ts';
import { runMaintenance } from '../lifecycle/maintain.ts';
import { describeMaintenance } from '../lifecycle/report.ts';
import { archiveStore, maintenanceOptions } from '../lifecycle/setup.ts';
import { loadConfig } from '../runtime/config.ts';
import { createPool, databaseOptionsFromEnv } from '../store/pool.ts';
import { parseInstant } from './instant.ts';
import { progressBar } from './progress.ts';

/** `trail maintain [--now 2027-09-15T00:00:00Z] [--json]`: one maintenance run; exit 1 when it failed. */
export async function runMaintain(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { now: { type: 'string' }, json: { type: 'boolean' } } });
  const config = loadConfig(lifecycleConfigShape);
  const now = values.now ? parseInstant(values.now, '--now') : new Date();
  const pool = createPool({ ...databaseOptionsFromEnv(), max: 2 });
  const bar = progressBar();
  try {
    const result = await runMaintenance(
      { pool, store: archiveStore(config) },
      {
        ...maintenanceOptions(config, now),
        onProgress: bar.update,
        log: (message) => {
          if (!process.stdout.isTTY && !values.json) console.log(message);
        },
      },
    );
    bar.end();
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else for (const line of describeMaintenance(result)) console.log(line);
    return result.status === 'failed' ? 1 : 0;
  } finally {
    await pool.end();
  }
}
