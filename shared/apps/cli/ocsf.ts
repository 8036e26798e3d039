import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FileObjectStore } from '../../adapters/files/file-store.ts';
import { finishLakeExport, verifiedGenerations } from '../../adapters/postgres/maintenance/lake-exports.ts';
import { releaseMaintenanceLock, tryMaintenanceLock } from '../../adapters/postgres/maintenance/maintenance-lock.ts';
import { createPool, databaseOptionsFromEnv } from '../../adapters/postgres/pool.ts';
import { formatMonth, type Month } from '../../core/domain/month.ts';
import { deriveSecurityLakeMonth, type LakeObject } from '../archive/security-lake.ts';
import { lifecycleConfigShape } from '../maintenance/config.ts';
import { securityLakeStore, securityLakeTarget } from '../maintenance/security-lake.ts';
import { archiveStore } from '../maintenance/setup.ts';
import { loadConfig } from '../runtime/config.ts';
import { auditedRead, cliAccessAuditor } from './read-audit.ts';

export interface OcsfOptions {
  /** `YYYY-MM`. */
  month: string;
  /** A folder to write to instead of the configured lake (SECURITY_LAKE_DIR or SECURITY_LAKE_BUCKET). */
  out?: string | undefined;
  json?: boolean | undefined;
}

/**
 * `trail ocsf --month YYYY-MM [--out DIR]`: derives a month's OCSF objects by hand, from each of its archived
 * generations that maintenance verified against PostgreSQL, e.g. for months archived before a lake was configured.
 * Written to the configured lake, each is recorded as done (maintenance then leaves it); to `--out`, nothing is
 * recorded. Holds the maintenance lock meanwhile, so a run never derives the same month beside it. Recorded as a
 * read (`audit.accessed`, route `trail ocsf`) before anything is derived, as the other archive reads are.
 */
export async function runOcsf(options: OcsfOptions): Promise<number> {
  const config = loadConfig(lifecycleConfigShape);
  const lakeStore = options.out ? new FileObjectStore(options.out) : securityLakeStore(config);
  if (!lakeStore) throw new Error('give --out <dir>, or set SECURITY_LAKE_DIR or SECURITY_LAKE_BUCKET');
  const lake = securityLakeTarget(config, lakeStore);
  const archive = archiveStore(config);
  const month = monthOfLabel(options.month);
  const pool = createPool({ ...databaseOptionsFromEnv(), max: 2 });
  const client = await pool.connect();
  let locked = false;
  try {
    locked = await tryMaintenanceLock(client);
    if (!locked) throw new Error('a maintenance run holds the maintenance lock: try again once it has finished');
    const generations = await verifiedGenerations(client, month);
    if (generations.length === 0)
      throw new Error(
        `${options.month} has no archived generation verified against PostgreSQL (trail archive status shows its steps)`,
      );
    const audit = await cliAccessAuditor(process.env, pool);
    const derived = await auditedRead(
      audit.auditor,
      { route: 'trail ocsf', filters: { month: options.month, destination: lakeStore.url } },
      async () => {
        const all: { generation: number; objects: LakeObject[] }[] = [];
        for (const generation of generations) {
          await mkdir(config.ARCHIVE_WORK_DIR, { recursive: true });
          const workDir = await mkdtemp(join(config.ARCHIVE_WORK_DIR, 'ocsf-cli-'));
          try {
            const objects = await deriveSecurityLakeMonth({ archive, lake, month, generation, workDir });
            if (!options.out) {
              const rows = objects.reduce((sum, o) => sum + o.rows, 0);
              await finishLakeExport(client, month, generation, {
                destination: lakeStore.url,
                objects: objects.length,
                rows,
              });
            }
            all.push({ generation, objects });
          } finally {
            await rm(workDir, { recursive: true, force: true });
          }
        }
        return all;
      },
      (all) => all.reduce((sum, g) => sum + g.objects.reduce((n, o) => n + o.rows, 0), 0),
    ).finally(() => audit.close());
    for (const { generation, objects } of derived) {
      for (const o of objects)
        console.log(
          options.json
            ? JSON.stringify({ month: options.month, generation, ...o })
            : `${o.key}\t${o.rows} rows\t${o.bytes} bytes`,
        );
      if (!options.json)
        console.error(
          `${options.month} generation ${generation}: ${objects.length} objects, ` +
            `${objects.reduce((n, o) => n + o.rows, 0)} rows, in ${lakeStore.url}`,
        );
    }
    return 0;
  } finally {
    if (locked) await releaseMaintenanceLock(client);
    client.release();
    await pool.end();
  }
}

function monthOfLabel(label: string): Month {
  const [year, month] = label.split('-').map(Number);
  const parsed = { year: year!, month: month! };
  if (formatMonth(parsed) !== label) throw new Error(`${label} is not a month (YYYY-MM)`);
  return parsed;
}
