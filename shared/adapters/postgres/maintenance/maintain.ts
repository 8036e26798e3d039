import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type pg from 'pg';
import { compareMonths, formatMonth, type Month } from '../../../core/domain/month.ts';
import { emptyMaintenanceResult, type MaintenanceResult, type Progress } from '../../../core/lifecycle/result.ts';
import { isExpired, monthsToEnsure } from '../../../core/lifecycle/retention.ts';
import type { ObjectStore } from '../../../core/ports/object-store.ts';
import { openDuckDb } from '../../duckdb/duckdb.ts';
import { rollUpEventCounts } from '../event-counts.ts';
import { ensureMonthPartitions } from '../partitions.ts';
import { type ArchiveMonthDeps, archiveMonth, type CrashPoint } from './archive-month.ts';
import { readMonthState, unfinishedMonths } from './archive-state.ts';
import { derivePendingExports, type MonthDerivation, requestLakeExport } from './lake-exports.ts';
import { DEFAULT_LOCK_RETRY, type LockRetryOptions, withLockRetry } from './lock-retry.ts';
import { releaseMaintenanceLock, tryMaintenanceLock } from './maintenance-lock.ts';
import { listMonthTables } from './partition-ddl.ts';

export interface MaintenanceOptions {
  /** The instant maintenance runs as of: which month is current, which have expired. */
  now: Date;
  retentionMonths: number;
  premakeMonths: number;
  /** Local scratch space for CSV and Parquet files (Lambda: under /tmp); each run uses and removes a folder in it. */
  workDir: string;
  rowsPerFile?: number;
  lockRetry?: LockRetryOptions;
  timeLeftMs?: () => number;
  /** How long an archival waits for the sealer to seal a month's last events (default DEFAULT_SEAL_WAIT_MS). */
  sealWaitMs?: number;
  log?: (message: string, details?: Record<string, unknown>) => void;
  onProgress?: (progress: Progress) => void;
  /** Test seam: throw here to simulate the process dying at that point. */
  crash?: (point: CrashPoint, month: Month) => void | Promise<void>;
}

export interface MaintenanceDeps {
  /** The schema owner's pool (maintenance creates, detaches and drops tables). */
  pool: pg.Pool;
  store: ObjectStore;
  /**
   * The OCSF objects for Security Lake, derived from each month this run archives once its archive is complete
   * (lake-exports.ts); absent: none.
   */
  securityLake?: MonthDerivation;
}

export const DEFAULT_ROWS_PER_FILE = 500_000;
/** A little more than the sealer's cadence on AWS (a round a minute): a late event sealed by then does not wait a day. */
export const DEFAULT_SEAL_WAIT_MS = 90_000;

/**
 * One maintenance run: makes sure the coming months have partitions (catching up any gap), then archives every
 * expired month, oldest first, resuming any archival a previous run left unfinished. Only one run works at a time: a
 * run that finds another one holding the lock skips (the other run does the same work), rather than queueing behind
 * it. Never throws: a failure is reported in the result (status `failed`, `error`) for the caller to make loud.
 */
export async function runMaintenance(deps: MaintenanceDeps, options: MaintenanceOptions): Promise<MaintenanceResult> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const result = emptyMaintenanceResult(options.now);
  const client = await deps.pool.connect();
  let duck: { connection: DuckDBConnection; close(): void } | undefined;
  let healthy = true;
  let runDir: string | undefined;
  try {
    if (!(await tryMaintenanceLock(client))) {
      result.status = 'skipped';
      result.skipped.push({ what: 'run', reason: 'another maintenance run holds the lock' });
      log('maintenance skipped: another run holds the lock');
      return result;
    }
    const lockRetry = options.lockRetry ?? DEFAULT_LOCK_RETRY;
    await ensureMonths(client, options, lockRetry, result, log);
    // The sealer rolls up after every round; this catches up when it has not run (the counts are exact either way).
    result.rolledUp = await withLockRetry(client, lockRetry, () => rollUpEventCounts(client));
    // A folder of its own: runs on other databases may share workDir (and each empties only its own).
    const workDir = async () => {
      if (runDir) return runDir;
      await mkdir(options.workDir, { recursive: true });
      runDir = await mkdtemp(join(options.workDir, 'run-'));
      return runDir;
    };
    const timeLeftMs = options.timeLeftMs ?? (() => Number.POSITIVE_INFINITY);
    if (options.retentionMonths === 0) {
      result.skipped.push({ what: 'archive', reason: 'RETENTION_MONTHS=0 keeps every month' });
    } else {
      const archiveDir = await workDir();
      const archiveDeps: ArchiveMonthDeps = {
        client,
        duck: async () => {
          duck ??= await openDuckDb({ workDir: archiveDir });
          return duck.connection;
        },
        store: deps.store,
        workDir: archiveDir,
        rowsPerFile: options.rowsPerFile ?? DEFAULT_ROWS_PER_FILE,
        lockRetry,
        timeLeftMs,
        sealWaitMs: options.sealWaitMs ?? DEFAULT_SEAL_WAIT_MS,
        log,
        ...(options.onProgress && { onProgress: options.onProgress }),
        ...(options.crash && { crash: options.crash }),
      };
      await archiveExpired(archiveDeps, options, result, deps.securityLake !== undefined);
    }
    if (deps.securityLake) {
      // After the archival, whatever became of it, and never in its way: a failure is reported, not thrown.
      duck?.close();
      duck = undefined;
      result.securityLake = await derivePendingExports(client, deps.securityLake, {
        workDir: await workDir(),
        timeLeftMs,
        log,
      });
    }
    await releaseMaintenanceLock(client);
    await client.query('RESET lock_timeout');
  } catch (error) {
    healthy = false;
    result.status = 'failed';
    result.error = (error as Error).message;
    log(`maintenance failed: ${result.error}`, { error: result.error });
  } finally {
    duck?.close();
    // A failed session may be mid-statement or still hold the lock: discard it rather than reuse it.
    client.release(!healthy);
    if (runDir) await rm(runDir, { recursive: true, force: true });
    result.durationMs = Math.round(performance.now() - started);
  }
  return result;
}

async function ensureMonths(
  client: pg.PoolClient,
  options: MaintenanceOptions,
  lockRetry: LockRetryOptions,
  result: MaintenanceResult,
  log: NonNullable<MaintenanceOptions['log']>,
): Promise<void> {
  const attached = (await listMonthTables(client)).filter((t) => t.attached).map((t) => t.month);
  for (const month of monthsToEnsure(attached, options.now, options.premakeMonths, options.retentionMonths)) {
    const started = performance.now();
    const [created] = await withLockRetry(client, lockRetry, () => ensureMonthPartitions(client, [month]));
    if (!created) continue;
    const ms = Math.round(performance.now() - started);
    result.created.push({ month: formatMonth(month), ms });
    log(`partition for ${formatMonth(month)} created in ${ms} ms`, { month: formatMonth(month), ms });
  }
}

async function archiveExpired(
  deps: ArchiveMonthDeps,
  options: MaintenanceOptions,
  result: MaintenanceResult,
  requestLake: boolean,
) {
  const tables = await listMonthTables(deps.client);
  const candidates = [
    ...tables.map((t) => t.month).filter((m) => isExpired(m, options.now, options.retentionMonths)),
    ...(await unfinishedMonths(deps.client)),
  ];
  const months = [...new Map(candidates.map((m) => [formatMonth(m), m])).values()].sort(compareMonths);
  for (const month of months) {
    const generation = await generationToArchive(
      deps,
      month,
      tables.some((t) => formatMonth(t.month) === formatMonth(month)),
    );
    if (generation === undefined) continue;
    if (requestLake) await requestLakeExport(deps.client, month, generation);
    const started = performance.now();
    const outcome = await archiveMonth(deps, month, generation);
    result.steps.push(...outcome.steps);
    if (outcome.status === 'paused') {
      result.status = 'paused';
      result.skipped.push({ what: formatMonth(month), reason: 'out of time: the next run resumes it' });
      deps.log(`archive ${formatMonth(month)} paused: out of time, the next run resumes it`);
      return;
    }
    if (outcome.status === 'waiting') {
      // Months leave in order (history reads PostgreSQL alone from its oldest month on): the later ones wait too.
      result.skipped.push({ what: formatMonth(month), reason: `${outcome.reason}: the next run archives it` });
      return;
    }
    const ms = Math.round(performance.now() - started);
    result.archived.push({ month: formatMonth(month), generation, rows: outcome.rows, files: outcome.files, ms });
    if (outcome.steps.some((s) => s.step === 'drop')) result.dropped.push(formatMonth(month));
    deps.log(
      `archived ${formatMonth(month)} generation ${generation}: ${outcome.rows} rows in ${outcome.files} files`,
      {
        month: formatMonth(month),
        generation,
        rows: outcome.rows,
        files: outcome.files,
        ms,
      },
    );
  }
}

/** The generation to work on: an unfinished one, or the next one when the month has a table again (late events). */
async function generationToArchive(deps: ArchiveMonthDeps, month: Month, hasTable: boolean) {
  const state = await readMonthState(deps.client, month);
  const latest = Math.max(0, ...state.map((s) => s.generation));
  const dropped = state.some((s) => s.generation === latest && s.step === 'drop' && s.finished);
  if (latest > 0 && !dropped) return latest;
  return hasTable ? latest + 1 : undefined;
}
