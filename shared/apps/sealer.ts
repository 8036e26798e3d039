import { KMSClient } from '@aws-sdk/client-kms';
import type { Context } from 'aws-lambda';
import { createKmsSigner } from '../adapters/kms/kms-signer.ts';
import { rollUpEventCounts } from '../adapters/postgres/event-counts.ts';
import { PgLogStore } from '../adapters/postgres/pg-log-store.ts';
import { createPool, databaseOptionsFromEnv } from '../adapters/postgres/pool.ts';
import type { CheckpointSigner } from '../core/ports/signer.ts';
import { DEFAULT_SEAL_MAX_ROUND_MS, type SealDeps, type SealResult, sealRound } from '../core/tamper/seal.ts';
import { describeSeal, recordSealMetrics } from '../core/tamper/seal-report.ts';
import { logArchiveIn } from './archive/log-archive.ts';
import { archiveStore } from './maintenance/setup.ts';
import { loadConfig } from './runtime/config.ts';
import { logger, metrics, traced } from './runtime/observability.ts';
import { onceSucceeded } from './runtime/once.ts';
import { type SealerConfig, sealerConfigShape } from './sealer/config.ts';

/** A round stops reading chunks this long before Lambda's deadline: time to sign, commit, copy and flush metrics. */
const SAFETY_MARGIN_MS = 20_000;

export interface SealerHandlerDeps extends Omit<SealDeps, 'signer'> {
  /** Made on the first invocation (KMS is asked for the public key once), kept while it works. */
  signer: () => Promise<CheckpointSigner>;
  /** Moves the event count deltas into the rollups after the round (migration 013); absent: maintenance alone does. */
  rollUp?: () => Promise<number>;
}

/**
 * EventBridge, every minute → one sealing round (shared/core/tamper/seal.ts), reserved concurrency 1. Metrics every
 * round; a copy to the archive that failed fails the invocation after they are recorded (the round is committed, the
 * next one copies it again), so the function's errors show it.
 */
export function createSealerHandler(deps: SealerHandlerDeps, config: Pick<SealerConfig, 'LOG_ID' | 'SEAL_MAX_EVENTS'>) {
  return async (_event: unknown, context: Context): Promise<SealResult> => {
    const result = await sealRound(
      { ...deps, signer: await deps.signer() },
      {
        logId: config.LOG_ID,
        maxEvents: config.SEAL_MAX_EVENTS,
        maxRoundMs: Math.max(
          0,
          Math.min(DEFAULT_SEAL_MAX_ROUND_MS, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS),
        ),
      },
    );
    recordSealMetrics(metrics, result);
    for (const line of describeSeal(result)) logger.info(line);
    // After the round, never instead of it: counts are exact without it, and maintenance rolls up too.
    if (deps.rollUp)
      await deps.rollUp().then(
        (moved) => moved > 0 && logger.info(`rolled up ${moved} event count deltas`),
        (error: Error) => logger.error('event count roll-up failed', { error: error.message }),
      );
    const { failed } = result.archive;
    if (failed.length > 0)
      throw new Error(
        `checkpoint ${result.checkpoint.body.number} is sealed, but ${failed.length} archive copies failed: ${failed.map((f) => f.key).join(', ')}`,
      );
    return result;
  };
}

/** The Lambda wiring, from the function's environment (functions/sealer/handler.ts). */
export function sealerFromEnvironment() {
  const config = loadConfig(sealerConfigShape);
  // Its own user, audit_sealer: reads events, appends to the log, nothing else (migration 010).
  const pool = createPool({ ...databaseOptionsFromEnv(), max: 1 });
  const kms = traced(new KMSClient({}));
  return createSealerHandler(
    {
      store: new PgLogStore(pool),
      signer: onceSucceeded(() => createKmsSigner(kms, config.SIGNING_KEY_ID)),
      archive: logArchiveIn(archiveStore(config)),
      clock: () => new Date(),
      rollUp: () => rollUpEventCounts(pool),
    },
    config,
  );
}
