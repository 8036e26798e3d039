import { lambdaHandler } from '../../shared/runtime/lambda.ts';
import { logger } from '../../shared/runtime/observability.ts';
import { migrate } from '../../shared/store/migrate.ts';
import { createPool, databaseOptionsFromEnv } from '../../shared/store/pool.ts';

/** Runs at deploy (CDK Trigger): applies pending migrations; a failure fails the deployment. */
export const handler = lambdaHandler(() => async () => {
  const pool = createPool({ ...databaseOptionsFromEnv(), max: 1 });
  try {
    const result = await migrate(pool);
    logger.info('migrations done', { applied: result.applied });
    return result;
  } finally {
    await pool.end();
  }
});
