import { KMSClient } from '@aws-sdk/client-kms';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { createKmsSigner } from '../adapters/kms/kms-signer.ts';
import { lambdaContinuation } from '../adapters/lambda/lambda-continuation.ts';
import { type MaintenanceDeps, runMaintenance } from '../adapters/postgres/maintenance/maintain.ts';
import { createPool, databaseOptionsFromEnv } from '../adapters/postgres/pool.ts';
import {
  type ContinuationOutcome,
  continuationConfigShape,
  continuationOf,
  continueMaintenance,
  type StartContinuation,
} from '../core/lifecycle/continuation.ts';
import { describeMaintenance, recordContinuationMetrics, recordMaintenanceMetrics } from '../core/lifecycle/report.ts';
import type { MaintenanceResult } from '../core/lifecycle/result.ts';
import { recordVerificationMetrics } from '../core/tamper/verify-report.ts';
import { lifecycleConfigShape } from './maintenance/config.ts';
import { securityLakeDeps } from './maintenance/security-lake.ts';
import { archiveStore, maintenanceOptions } from './maintenance/setup.ts';
import { type ScheduledVerification, verifyAfterMaintenance, verifyInProcess } from './maintenance/verification.ts';
import { loadConfig } from './runtime/config.ts';
import { logger, metrics, traced } from './runtime/observability.ts';
import { onceSucceeded } from './runtime/once.ts';

/** Work stops starting this long before Lambda's deadline, leaving time to record progress and flush metrics. */
const SAFETY_MARGIN_MS = 90_000;

export const maintenanceHandlerConfigShape = {
  ...lifecycleConfigShape,
  ...continuationConfigShape,
  SIGNING_KEY_ID: z
    .string()
    .min(1)
    .optional()
    .describe("the log's KMS signing key, whose public key the scheduled verification checks with (unset: skipped)"),
};
export type MaintenanceHandlerConfig = z.infer<z.ZodObject<typeof maintenanceHandlerConfigShape>>;

export interface MaintenanceHandlerDeps extends MaintenanceDeps {
  /** Asks Lambda for the next invocation of this function, when a run paused. */
  startContinuation: StartContinuation;
  /** The verification of the log after each finished run (VerificationFailures); absent: none. */
  verification?: ScheduledVerification;
}

export type MaintenanceInvocationResult = MaintenanceResult & { continuation: ContinuationOutcome };

/**
 * EventBridge schedule, deploy trigger or a continuation → one maintenance run. An archival that cannot finish before
 * the deadline pauses after its last complete file and asks for a continuation: another invocation of this function
 * that resumes it from archive_steps (shared/core/lifecycle/continuation.ts says why, and what bounds the chain). A failed
 * run throws after its metrics are recorded, so the invocation fails and MaintenanceFailures counts it.
 */
export function createMaintenanceHandler(
  deps: MaintenanceHandlerDeps,
  config: MaintenanceHandlerConfig,
  clock = () => new Date(),
) {
  return async (event: unknown, context: Context): Promise<MaintenanceInvocationResult> => {
    const current = continuationOf(event);
    if (current) logger.info('maintenance continuation', { ...current });
    const result = await runMaintenance(deps, {
      ...maintenanceOptions(config, clock()),
      timeLeftMs: () => context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS,
      log: (message, details) => logger.info(message, { ...details }),
    });
    recordMaintenanceMetrics(metrics, result);
    for (const line of describeMaintenance(result)) logger.info(line);
    if (result.status === 'failed') throw new Error(`maintenance failed: ${result.error}`);
    const verified =
      deps.verification &&
      (await verifyAfterMaintenance(deps.verification, result, {
        log: {
          info: (message, details) => logger.info(message, { ...details }),
          error: (message, details) => logger.error(message, { ...details }),
        },
        timeLeftMs: () => context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS,
      }));
    if (verified) recordVerificationMetrics(metrics, verified);

    const continuation = await continueMaintenance(result, current, {
      start: deps.startContinuation,
      functionName: context.functionName,
      maxHops: config.MAINTENANCE_MAX_CONTINUATIONS,
    });
    recordContinuationMetrics(metrics, continuation);
    switch (continuation.action) {
      case 'continued':
        logger.info(`paused: continuation ${continuation.next.hop} of at most ${continuation.maxHops} requested`, {
          ...continuation.next,
        });
        break;
      case 'stopped':
        logger.error(
          `paused after ${continuation.hop} continuations, the most a chain may make: the rest waits for the next ` +
            'daily run (raise MAINTENANCE_MAX_CONTINUATIONS if a month needs more)',
          { hop: continuation.hop, maxHops: continuation.maxHops, chainStartedAt: continuation.chainStartedAt },
        );
        break;
      case 'blocked':
        // Thrown, not returned: Lambda retries this event later (twice), rather than the chain spinning on the lock.
        throw new Error(
          `maintenance continuation ${continuation.hop} found another run holding the maintenance lock; ` +
            'Lambda retries this event, and the next daily run resumes the work in any case',
        );
    }
    return { ...result, continuation };
  };
}

/** The Lambda wiring, from the function's environment (functions/maintenance/handler.ts). */
export function maintenanceFromEnvironment() {
  const config = loadConfig(maintenanceHandlerConfigShape);
  // The owner's session: maintenance creates, detaches and drops partitions.
  const pool = createPool({ ...databaseOptionsFromEnv(), max: 2 });
  const kms = traced(new KMSClient({}));
  const keyId = config.SIGNING_KEY_ID;
  const publicKey = onceSucceeded(async () => ({ pem: await (await createKmsSigner(kms, keyId!)).publicKeyPem() }));
  const store = archiveStore(config);
  return createMaintenanceHandler(
    {
      pool,
      store,
      ...securityLakeDeps(config, store),
      startContinuation: lambdaContinuation(),
      verification: {
        // KMS holds the key: its public half is the one checkpoints must verify with (kms:GetPublicKey).
        publicKey: async () =>
          keyId ? publicKey() : { skip: 'SIGNING_KEY_ID is not set: no public key to verify with' },
        run: verifyInProcess({ pool, store, workDir: config.ARCHIVE_WORK_DIR }),
      },
    },
    config,
  );
}
