import { formatMonth, type Month, monthOf } from '../../../core/domain/month.ts';
import type { LakeExportReport } from '../../../core/lifecycle/result.ts';
import type { Queryable } from '../partitions.ts';
import { monthDate } from './archive-state.ts';

/**
 * Derives a month's objects somewhere else from its archived, verified generation (the OCSF objects for Security
 * Lake: shared/apps/maintenance/security-lake.ts). Throws when it cannot; writing the same month again replaces its
 * objects, so a retry is safe.
 */
export interface MonthDerivation {
  /** Where the objects go, for logs and the record (`s3://bucket/`, `file:///…`). */
  readonly destination: string;
  derive(month: Month, generation: number, workDir: string): Promise<{ objects: number; rows: number }>;
}

/**
 * Asks for a generation's derivation, before its archival starts or resumes; done again it changes nothing. Recorded
 * first, so an archival that dies after its drop still leaves the derivation to do.
 */
export async function requestLakeExport(db: Queryable, month: Month, generation: number): Promise<void> {
  await db.query(
    `INSERT INTO security_lake_exports (month, generation) VALUES ($1::date, $2) ON CONFLICT (month, generation) DO NOTHING`,
    [monthDate(month), generation],
  );
}

/** Requested derivations not finished yet whose generation is archived to the end (dropped), oldest first. */
export async function pendingLakeExports(db: Queryable): Promise<{ month: Month; generation: number }[]> {
  const { rows } = await db.query<{ month: Date; generation: number }>(
    `SELECT x.month, x.generation FROM security_lake_exports x
       JOIN archive_steps s ON s.month = x.month AND s.generation = x.generation AND s.step = 'drop'
      WHERE x.finished_at IS NULL AND s.finished_at IS NOT NULL
      ORDER BY x.month, x.generation`,
  );
  return rows.map((row) => ({ month: monthOf(row.month), generation: row.generation }));
}

/** The month's generations whose archive was verified against PostgreSQL (what `trail ocsf` may derive). */
export async function verifiedGenerations(db: Queryable, month: Month): Promise<number[]> {
  const { rows } = await db.query<{ generation: number }>(
    `SELECT generation FROM archive_steps WHERE month = $1::date AND step = 'verify' AND finished_at IS NOT NULL
      ORDER BY generation`,
    [monthDate(month)],
  );
  return rows.map((row) => row.generation);
}

async function startLakeExport(db: Queryable, month: Month, generation: number, destination: string) {
  await db.query(
    `INSERT INTO security_lake_exports (month, generation, attempts, attempted_at, destination)
     VALUES ($1::date, $2, 1, now(), $3)
     ON CONFLICT (month, generation) DO UPDATE
        SET attempts = security_lake_exports.attempts + 1, attempted_at = now(), destination = $3`,
    [monthDate(month), generation, destination],
  );
}

/** Records a derivation done (also one made by hand, `trail ocsf`, which may not have been requested). */
export async function finishLakeExport(
  db: Queryable,
  month: Month,
  generation: number,
  result: { destination: string; objects: number; rows: number },
): Promise<void> {
  await db.query(
    `INSERT INTO security_lake_exports (month, generation, attempts, attempted_at, finished_at, destination, objects, row_count)
     VALUES ($1::date, $2, 1, now(), now(), $3, $4, $5)
     ON CONFLICT (month, generation) DO UPDATE
        SET finished_at = now(), error = NULL, destination = $3, objects = $4, row_count = $5`,
    [monthDate(month), generation, result.destination, result.objects, result.rows],
  );
}

async function failLakeExport(db: Queryable, month: Month, generation: number, error: string) {
  await db.query(`UPDATE security_lake_exports SET error = $3 WHERE month = $1::date AND generation = $2`, [
    monthDate(month),
    generation,
    error,
  ]);
}

/**
 * Derives every pending generation, oldest first, each recorded as it goes. A failure is recorded with its error and
 * reported, and the next generation goes on: the next run tries the failed ones again. Stops starting new ones when
 * `timeLeftMs` runs out (the rest wait for the next run). Throws only when the record itself cannot be written.
 */
export async function derivePendingExports(
  db: Queryable,
  derivation: MonthDerivation,
  options: {
    workDir: string;
    timeLeftMs: () => number;
    log: (message: string, details?: Record<string, unknown>) => void;
  },
): Promise<LakeExportReport> {
  const report: LakeExportReport = { destination: derivation.destination, derived: [], failed: [], waiting: 0 };
  const pending = await pendingLakeExports(db);
  for (const [i, { month, generation }] of pending.entries()) {
    const label = formatMonth(month);
    if (options.timeLeftMs() <= 0) {
      report.waiting = pending.length - i;
      options.log(`security lake: out of time, ${report.waiting} derivations wait for the next run`);
      break;
    }
    const started = performance.now();
    await startLakeExport(db, month, generation, derivation.destination);
    try {
      const { objects, rows } = await derivation.derive(month, generation, options.workDir);
      await finishLakeExport(db, month, generation, { destination: derivation.destination, objects, rows });
      const ms = Math.round(performance.now() - started);
      report.derived.push({ month: label, generation, objects, rows, ms });
      options.log(`security lake: ${label} generation ${generation}: ${objects} objects, ${rows} rows in ${ms} ms`, {
        month: label,
        generation,
        objects,
        rows,
        ms,
      });
    } catch (error) {
      const message = (error as Error).message;
      await failLakeExport(db, month, generation, message);
      report.failed.push({ month: label, generation, error: message });
      options.log(`security lake: ${label} generation ${generation} failed, the next run tries again: ${message}`, {
        month: label,
        generation,
        error: message,
      });
    }
  }
  return report;
}
