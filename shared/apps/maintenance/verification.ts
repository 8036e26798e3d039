import type pg from 'pg';
import type { MaintenanceResult } from '../../core/lifecycle/result.ts';
import type { ObjectStore } from '../../core/ports/object-store.ts';
import type { VerificationReport } from '../../core/tamper/verify.ts';
import { findingLines, verificationSummary } from '../../core/tamper/verify-report.ts';
import { verifyTrail } from '../verify.ts';

/** The log's public key, or why there is none: then verification is skipped and says so, never a false alarm. */
export type PublicKeySource = () => Promise<{ pem: string } | { skip: string }>;

/** Runs one verification with the public key, stopping when `stop` says time is up. */
export type RunVerification = (publicKeyPem: string, stop?: () => boolean) => Promise<VerificationReport>;

export interface ScheduledVerification {
  publicKey: PublicKeySource;
  run: RunVerification;
}

/**
 * The verification in this process, as the owner's pool, which reads every table: PostgreSQL against the archive,
 * archived files fetched into `workDir` while they are read.
 */
export function verifyInProcess(deps: { pool: pg.Pool; store: ObjectStore; workDir: string }): RunVerification {
  return (publicKeyPem, stop) => verifyTrail({ ...deps, publicKeys: [publicKeyPem], ...(stop && { stop }) });
}

export interface VerificationLog {
  info(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

/**
 * The verification that follows a maintenance run (docs/tamper-evidence.md, "Verification"): the whole log,
 * PostgreSQL against the archive. Only after a run that finished: a run that paused is continued, and the
 * continuation verifies; one that failed or skipped has said so already. Stops when `timeLeftMs` runs out (reported
 * as incomplete). Logs what it checked, and each finding, the first divergence first.
 */
export async function verifyAfterMaintenance(
  verification: ScheduledVerification,
  result: MaintenanceResult,
  options: { log: VerificationLog; timeLeftMs?: () => number },
): Promise<VerificationReport | undefined> {
  const { log } = options;
  if (result.status !== 'done') {
    log.info(`verification skipped: the maintenance run ${result.status === 'paused' ? 'paused' : result.status}`);
    return undefined;
  }
  const key = await verification.publicKey();
  if ('skip' in key) {
    log.info(`verification skipped: ${key.skip}`);
    return undefined;
  }
  const timeLeftMs = options.timeLeftMs;
  const report = await verification.run(key.pem, timeLeftMs && (() => timeLeftMs() <= 0));
  const summary = verificationSummary(report);
  if (report.ok) log.info(summary, { checked: report.checked, complete: report.complete });
  else {
    log.error(`the log is not intact: ${summary}`, { first: report.first, checked: report.checked });
    for (const line of findingLines(report)) log.error(line);
  }
  return report;
}
