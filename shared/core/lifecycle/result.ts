/**
 * What a maintenance run reports, and the steps it goes through: the vocabulary the lifecycle's decisions
 * (continuation, metrics, the local scheduler) and its PostgreSQL implementation share.
 */

/** The steps of archiving one month, in order. */
export const ARCHIVE_STEPS = ['export', 'manifest', 'verify', 'detach', 'drop'] as const;
export type ArchiveStep = (typeof ARCHIVE_STEPS)[number];

/** Where an archival is, for a progress bar. */
export interface Progress {
  month: string;
  step: ArchiveStep;
  done: number;
  total: number;
}

export interface StepReport {
  month: string;
  generation: number;
  step: ArchiveStep;
  ms: number;
}

export interface MaintenanceResult {
  /** `paused`: out of time, the next run resumes; `skipped`: another run holds the lock and does the work. */
  status: 'done' | 'paused' | 'skipped' | 'failed';
  now: string;
  created: { month: string; ms: number }[];
  archived: { month: string; generation: number; rows: number; files: number; ms: number }[];
  dropped: string[];
  skipped: { what: string; reason: string }[];
  steps: StepReport[];
  /** Delta rows moved into the event count rollups (migration 013); absent when the run did not get that far. */
  rolledUp?: number;
  /** The OCSF objects derived for Security Lake after archival; absent when no lake is configured or not reached. */
  securityLake?: LakeExportReport;
  durationMs: number;
  error?: string;
}

/**
 * What a run derived from archived months for Security Lake (docs/ocsf.md). A failed derivation leaves the run
 * `done`: the month is archived and dropped all the same, and the next run tries the derivation again.
 */
export interface LakeExportReport {
  destination: string;
  derived: { month: string; generation: number; objects: number; rows: number; ms: number }[];
  failed: { month: string; generation: number; error: string }[];
  /** Derivations left for the next run: the run was out of time. */
  waiting: number;
}

/** A run that has done nothing yet, as of `now`. */
export function emptyMaintenanceResult(now: Date): MaintenanceResult {
  return {
    status: 'done',
    now: now.toISOString(),
    created: [],
    archived: [],
    dropped: [],
    skipped: [],
    steps: [],
    durationMs: 0,
  };
}
