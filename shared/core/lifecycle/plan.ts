import { compareMonths, formatMonth, type Month } from '../domain/month.ts';
import { isExpired, monthsToEnsure } from './retention.ts';

/** What a maintenance run as of `now` would do, decided as the run decides it (retention.ts), nothing done. */
export interface MaintenancePlan {
  now: string;
  /** Months that get a partition. */
  create: string[];
  /** Months exported to the archive, verified, then detached and dropped (expired, or an archival left unfinished). */
  archive: string[];
}

export function planMaintenance(
  state: { attached: readonly Month[]; unfinished: readonly Month[] },
  options: { now: Date; premakeMonths: number; retentionMonths: number },
): MaintenancePlan {
  const { now, premakeMonths, retentionMonths } = options;
  const existing = new Set(state.attached.map(formatMonth));
  const create = monthsToEnsure(state.attached, now, premakeMonths, retentionMonths)
    .map(formatMonth)
    .filter((month) => !existing.has(month));
  const archive =
    retentionMonths === 0
      ? []
      : [...state.attached.filter((month) => isExpired(month, now, retentionMonths)), ...state.unfinished]
          .sort(compareMonths)
          .map(formatMonth)
          .filter((month, i, all) => all.indexOf(month) === i);
  return { now: now.toISOString(), create, archive };
}

/** The plan in lines a person reads (`trail maintain --dry-run`). */
export function describePlan(plan: MaintenancePlan, archiveUrl: string, retentionMonths: number): string[] {
  return [
    `dry run as of ${plan.now}: nothing is changed`,
    `would create partitions: ${plan.create.join(', ') || 'none'}`,
    retentionMonths === 0
      ? 'would archive nothing: RETENTION_MONTHS=0 keeps every month'
      : `would archive to ${archiveUrl}, verify, then detach and drop: ${plan.archive.join(', ') || 'none'}`,
  ];
}
