import { formatMonth, type Month } from '../../../core/domain/month.ts';
import type { ArchiveStep } from '../../../core/lifecycle/result.ts';
import type { RowKey } from '../../duckdb/export.ts';
import type { Queryable } from '../partitions.ts';

/** One archived file, as the export step records it and the manifest lists it. */
export interface ArchivedFile {
  key: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface StepState {
  generation: number;
  step: ArchiveStep;
  files: ArchivedFile[];
  rowCount: number | null;
  progress: { after: RowKey } | null;
  finished: boolean;
  error: string | null;
}

/** A month as the `date` archive_steps and security_lake_exports key it by (its first day). */
export const monthDate = (month: Month) => `${formatMonth(month)}-01`;

/** Every recorded step of a month, all generations. */
export async function readMonthState(db: Queryable, month: Month): Promise<StepState[]> {
  const { rows } = await db.query(
    `SELECT generation, step, files, row_count, progress, finished_at IS NOT NULL AS finished, error
       FROM archive_steps WHERE month = $1::date ORDER BY generation, started_at`,
    [monthDate(month)],
  );
  return rows.map((row) => ({
    generation: row.generation,
    step: row.step,
    files: row.files,
    rowCount: row.row_count === null ? null : Number(row.row_count),
    progress: row.progress,
    finished: row.finished,
    error: row.error,
  }));
}

/** Months with a generation whose steps have not all finished: an archival to resume. */
export async function unfinishedMonths(db: Queryable): Promise<Month[]> {
  const { rows } = await db.query<{ month: Date }>(
    `SELECT month FROM archive_steps GROUP BY month, generation
     HAVING count(*) FILTER (WHERE step = 'drop' AND finished_at IS NOT NULL) = 0 ORDER BY month`,
  );
  return rows.map(({ month }) => ({ year: month.getUTCFullYear(), month: month.getUTCMonth() + 1 }));
}

/** Marks a step started (again): a retried step keeps its first start time and clears the last error. */
export async function startStep(db: Queryable, month: Month, generation: number, step: ArchiveStep): Promise<void> {
  await db.query(
    `INSERT INTO archive_steps (month, generation, step) VALUES ($1::date, $2, $3)
     ON CONFLICT (month, generation, step) DO UPDATE SET error = NULL`,
    [monthDate(month), generation, step],
  );
}

/** Saves an export's progress: the files so far and where the next one starts. */
export async function saveExportProgress(
  db: Queryable,
  month: Month,
  generation: number,
  files: readonly ArchivedFile[],
  progress: StepState['progress'],
): Promise<void> {
  await db.query(
    `UPDATE archive_steps SET files = $4::jsonb, progress = $5::jsonb
      WHERE month = $1::date AND generation = $2 AND step = $3`,
    [monthDate(month), generation, 'export', JSON.stringify(files), JSON.stringify(progress)],
  );
}

export async function finishStep(
  db: Queryable,
  month: Month,
  generation: number,
  step: ArchiveStep,
  result: { files?: readonly ArchivedFile[]; rowCount?: number },
): Promise<void> {
  await db.query(
    `UPDATE archive_steps SET finished_at = now(), error = NULL,
            files = coalesce($4::jsonb, files), row_count = coalesce($5, row_count)
      WHERE month = $1::date AND generation = $2 AND step = $3`,
    [monthDate(month), generation, step, result.files ? JSON.stringify(result.files) : null, result.rowCount ?? null],
  );
}

export async function failStep(db: Queryable, month: Month, generation: number, step: ArchiveStep, error: string) {
  await db.query(`UPDATE archive_steps SET error = $4 WHERE month = $1::date AND generation = $2 AND step = $3`, [
    monthDate(month),
    generation,
    step,
    error,
  ]);
}

/** One recorded step of one month's archival, as `trail archive status` lists them. */
export interface ArchiveStepRecord {
  /** `YYYY-MM`. */
  month: string;
  generation: number;
  step: ArchiveStep;
  rowCount: number | null;
  /** How many files the step recorded. */
  files: number;
  finishedAt: Date | null;
  error: string | null;
}

/** Every recorded step of every month, by month, generation and start. */
export async function listArchiveSteps(db: Queryable): Promise<ArchiveStepRecord[]> {
  const { rows } = await db.query(
    `SELECT to_char(month, 'YYYY-MM') AS month, generation, step, row_count, jsonb_array_length(files) AS files,
            finished_at, error FROM archive_steps ORDER BY month, generation, started_at`,
  );
  return rows.map((row) => ({
    month: row.month,
    generation: row.generation,
    step: row.step,
    rowCount: row.row_count === null ? null : Number(row.row_count),
    files: row.files,
    finishedAt: row.finished_at,
    error: row.error,
  }));
}
