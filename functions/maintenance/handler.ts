import type { Context, ScheduledEvent } from 'aws-lambda';
import { lifecycleConfigShape } from '../../shared/lifecycle/config.ts';
import { type MaintenanceDeps, type MaintenanceResult, runMaintenance } from '../../shared/lifecycle/maintain.ts';
import { describeMaintenance, recordMaintenanceMetrics } from '../../shared/lifecycle/report.ts';
import { archiveStore, type LifecycleConfig, maintenanceOptions } from '../../shared/lifecycle/setup.ts';
import { loadConfig } from '../../shared/runtime/config.ts';
import { lambdaHandler } from '../../shared/runtime/lambda.ts';
import { logger, metrics } from '../../shared/runtime/observability.ts';
import { createPool, databaseOptionsFromEnv } from '../../shared/store/pool.ts';

/** Work stops starting this long before Lambda's deadline, leaving time to record progress and flush metrics. */
const SAFETY_MARGIN_MS = 90_000;

/**
 * EventBridge schedule → one maintenance run. An archival that cannot finish before the deadline pauses after its
 * last complete file; the next scheduled invocation resumes it from archive_steps. A failed run throws after its
 * metrics are recorded, so the invocation fails and MaintenanceFailures counts it.
 */
export function createMaintenanceHandler(deps: MaintenanceDeps, config: LifecycleConfig, clock = () => new Date()) {
  return async (_event: ScheduledEvent, context: Context): Promise<MaintenanceResult> => {
    const result = await runMaintenance(deps, {
      ...maintenanceOptions(config, clock()),
      timeLeftMs: () => context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS,
      log: (message, details) => logger.info(message, { ...details }),
    });
    recordMaintenanceMetrics(metrics, result);
    for (const line of describeMaintenance(result)) logger.info(line);
    if (result.status === 'failed') throw new Error(`maintenance failed: ${result.error}`);
    return result;
  };
}

export const handler = lambdaHandler(() => {
  const config = loadConfig(lifecycleConfigShape);
  // The owner's session: maintenance creates, detaches and drops partitions.
  const pool = createPool({ ...databaseOptionsFromEnv(), max: 2 });
  return createMaintenanceHandler({ pool, store: archiveStore(config) }, config);
});
