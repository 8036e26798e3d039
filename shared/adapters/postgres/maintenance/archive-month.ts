import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { DuckDBConnection } from '@duckdb/node-api';
import pg from 'pg';
import { buildManifest } from '../../../core/archive/manifest.ts';
import { archiveFileKey, archiveManifestKey } from '../../../core/archive/schema.ts';
import { formatMonth, type Month, partitionName } from '../../../core/domain/month.ts';
import { ARCHIVE_STEPS, type ArchiveStep, type Progress, type StepReport } from '../../../core/lifecycle/result.ts';
import type { ObjectStore } from '../../../core/ports/object-store.ts';
import { exportSlice } from '../../duckdb/export.ts';
import { verifyArchive } from '../../duckdb/verify.ts';
import {
  type ArchivedFile,
  failStep,
  finishStep,
  readMonthState,
  saveExportProgress,
  startStep,
} from './archive-state.ts';
import type { LockRetryOptions } from './lock-retry.ts';
import { monthLog, unsealedEvents } from './month-log.ts';
import { detachPartition, dropDetachedPartition, freezePartition, listMonthTables } from './partition-ddl.ts';

/** Where a test may make the archival die: after a step's work, before or after it is recorded; after each file. */
export type CrashPoint = `${ArchiveStep}:done` | `${ArchiveStep}:recorded` | 'export:file';

export interface ArchiveMonthDeps {
  /** A dedicated session in autocommit mode: DETACH … CONCURRENTLY cannot run inside a transaction block. */
  client: pg.ClientBase;
  duck: () => Promise<DuckDBConnection>;
  store: ObjectStore;
  workDir: string;
  rowsPerFile: number;
  lockRetry: LockRetryOptions;
  /** Milliseconds this run may still start work in; an archival that runs out pauses and the next run resumes it. */
  timeLeftMs: () => number;
  /** How long an export waits for the sealer to seal the month's last events before it gives up until the next run. */
  sealWaitMs: number;
  log: (message: string, details?: Record<string, unknown>) => void;
  onProgress?: (progress: Progress) => void;
  crash?: (point: CrashPoint, month: Month) => void | Promise<void>;
}

export type ArchiveMonthOutcome =
  | { status: 'done'; rows: number; files: number; steps: StepReport[] }
  | { status: 'paused'; steps: StepReport[] }
  /** Some of the month's events are not sealed yet: nothing was exported; the next run tries again. */
  | { status: 'waiting'; unsealed: number; reason: string; steps: StepReport[] };

/**
 * Archives one generation of an expired month: export → manifest → verify → detach → drop, each step recorded in
 * archive_steps. Finished steps are skipped, so calling it again after a crash anywhere resumes where it stopped.
 */
export async function archiveMonth(deps: ArchiveMonthDeps, month: Month, generation: number) {
  const steps: StepReport[] = [];
  const label = formatMonth(month);
  for (const step of ARCHIVE_STEPS) {
    const state = await stepState(deps, month, generation, step);
    if (state?.finished) continue;
    if (deps.timeLeftMs() <= 0) return { status: 'paused', steps } satisfies ArchiveMonthOutcome;
    const started = performance.now();
    await startStep(deps.client, month, generation, step);
    try {
      const outcome = await STEP_WORK[step](deps, month, generation);
      if (outcome === 'paused') return { status: 'paused', steps } satisfies ArchiveMonthOutcome;
      if ('unsealed' in outcome) {
        const reason = `${outcome.unsealed} events of ${label} are not sealed yet`;
        // Recorded as the step's last error, so `trail archive status` says why the month waits.
        await failStep(deps.client, month, generation, step, reason);
        deps.log(`archive ${label} waits: ${reason}`, { month: label, generation, unsealed: outcome.unsealed });
        return { status: 'waiting', unsealed: outcome.unsealed, reason, steps } satisfies ArchiveMonthOutcome;
      }
      await deps.crash?.(`${step}:done`, month);
      await finishStep(deps.client, month, generation, step, outcome);
    } catch (error) {
      await failStep(deps.client, month, generation, step, (error as Error).message).catch(() => undefined);
      throw error;
    }
    await deps.crash?.(`${step}:recorded`, month);
    const ms = Math.round(performance.now() - started);
    steps.push({ month: label, generation, step, ms });
    deps.log(`archive ${label} generation ${generation}: ${step} done in ${ms} ms`, {
      month: label,
      generation,
      step,
      ms,
    });
  }
  const exported = await stepState(deps, month, generation, 'export');
  return {
    status: 'done',
    rows: exported?.rowCount ?? 0,
    files: exported?.files.length ?? 0,
    steps,
  } satisfies ArchiveMonthOutcome;
}

async function stepState(deps: ArchiveMonthDeps, month: Month, generation: number, step: ArchiveStep) {
  return (await readMonthState(deps.client, month)).find((s) => s.generation === generation && s.step === step);
}

type StepResult = { files?: ArchivedFile[]; rowCount?: number } | { unsealed: number } | 'paused';

const STEP_WORK: Record<
  ArchiveStep,
  (deps: ArchiveMonthDeps, month: Month, generation: number) => Promise<StepResult>
> = {
  export: exportStep,
  manifest: manifestStep,
  verify: async (deps, month, generation) => {
    const exported = await stepState(deps, month, generation, 'export');
    const { rowCount } = await verifyArchive({
      store: deps.store,
      duck: await deps.duck(),
      client: deps.client,
      table: partitionName(month),
      manifestKey: archiveManifestKey(month, generation),
      exported: exported?.files ?? [],
      workDir: deps.workDir,
    });
    return { rowCount };
  },
  detach: async (deps, month) => {
    await detachPartition(deps.client, month, deps.lockRetry);
    return {};
  },
  drop: async (deps, month, generation) => {
    // The one irreversible step: refuse it unless this generation's archive was verified.
    const verified = await stepState(deps, month, generation, 'verify');
    if (!verified?.finished) throw new Error(`${formatMonth(month)} generation ${generation} is not verified`);
    const table = (await listMonthTables(deps.client)).find((t) => t.name === partitionName(month));
    // Attached again after this generation's detach: a new partition for late events, the next generation's work.
    if (!table?.attached) await dropDetachedPartition(deps.client, month, deps.lockRetry);
    return {};
  },
};

/**
 * Freezes the partition, waits until the log has sealed every row of it, then writes it file by file, saving after
 * each file where the next one starts. Sealed is checked after the freeze: the freeze's lock waited for every
 * transaction that was inserting into the month, so no row can appear after the check.
 */
async function exportStep(deps: ArchiveMonthDeps, month: Month, generation: number): Promise<StepResult> {
  await freezePartition(deps.client, month, deps.lockRetry);
  const state = await stepState(deps, month, generation, 'export');
  if (!state?.files.length) {
    const unsealed = await untilSealed(deps, partitionName(month));
    if (unsealed > 0) return { unsealed };
  }
  const files = [...(state?.files ?? [])];
  let progress = state?.progress ?? null;
  const total = await estimatedRows(deps.client, partitionName(month));
  let done = files.reduce((sum, file) => sum + file.rows, 0);
  const duck = await deps.duck();
  for (;;) {
    if (deps.timeLeftMs() <= 0) return 'paused';
    const slice = await exportSlice({
      client: deps.client,
      duck,
      table: partitionName(month),
      after: progress?.after,
      rowsPerFile: deps.rowsPerFile,
      workDir: deps.workDir,
      name: `${partitionName(month)}-g${generation}-${files.length}`,
    });
    if (!slice) break;
    const key = archiveFileKey(month, generation, files.length);
    try {
      await deps.store.put(key, { file: slice.file });
    } finally {
      await rm(slice.file, { force: true });
    }
    files.push({ key, rows: slice.rows, bytes: slice.bytes, sha256: slice.sha256 });
    progress = { after: slice.last };
    await saveExportProgress(deps.client, month, generation, files, progress);
    await deps.crash?.('export:file', month);
    done += slice.rows;
    deps.onProgress?.({ month: formatMonth(month), step: 'export', done, total: Math.max(total, done) });
    deps.log(`archive ${formatMonth(month)}: wrote ${key} (${slice.rows} rows, ${slice.bytes} bytes)`, {
      key,
      rows: slice.rows,
      rowsSoFar: done,
    });
  }
  return { files, rowCount: done };
}

/**
 * The rows of `table` the log has not sealed, after waiting up to sealWaitMs (and the run's time) for the sealer,
 * which runs every minute on AWS and every few seconds locally: 0 once every row is sealed.
 */
async function untilSealed(deps: ArchiveMonthDeps, table: string): Promise<number> {
  const deadline = performance.now() + deps.sealWaitMs;
  for (;;) {
    const unsealed = await unsealedEvents(deps.client, table);
    if (unsealed === 0 || performance.now() >= deadline || deps.timeLeftMs() <= 0) return unsealed;
    await new Promise((resolve) => setTimeout(resolve, Math.min(SEAL_POLL_MS, deadline - performance.now())));
  }
}
const SEAL_POLL_MS = 1000;

/** Writes the manifest from the export's record, the partition's own count and time span, and its place in the log. */
async function manifestStep(deps: ArchiveMonthDeps, month: Month, generation: number): Promise<StepResult> {
  const exported = await stepState(deps, month, generation, 'export');
  const { rows } = await deps.client.query<{ count: string; min: Date | null; max: Date | null }>(
    `SELECT count(*) AS count, min(occurred_at) AS min, max(occurred_at) AS max FROM ${pg.escapeIdentifier(partitionName(month))}`,
  );
  const stats = rows[0]!;
  if (Number(stats.count) !== exported?.rowCount)
    throw new Error(`${partitionName(month)} holds ${stats.count} rows but the export wrote ${exported?.rowCount}`);
  const manifest = buildManifest({
    month,
    generation,
    rowCount: Number(stats.count),
    minOccurredAt: stats.min,
    maxOccurredAt: stats.max,
    files: exported.files,
    log: await monthLog(deps.client, partitionName(month)),
  });
  const text = JSON.stringify(manifest, null, 2);
  await deps.store.put(archiveManifestKey(month, generation), Readable.from([Buffer.from(text)]));
  return { rowCount: manifest.rowCount };
}

/** The planner's row estimate: enough for a progress bar, without counting a month of rows. */
async function estimatedRows(client: pg.ClientBase, table: string): Promise<number> {
  const { rows } = await client.query<{ estimate: number }>(
    `SELECT greatest(reltuples, 0)::float8 AS estimate FROM pg_class WHERE oid = to_regclass($1)`,
    [`public.${pg.escapeIdentifier(table)}`],
  );
  return rows[0]?.estimate ?? 0;
}
