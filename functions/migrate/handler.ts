import { migrateFromEnvironment } from '../../shared/apps/migrate.ts';
import { lambdaHandler } from '../../shared/apps/runtime/lambda.ts';

/** At deploy: migrations, then the login users' passwords. Wired on the first invocation (shared/apps/migrate.ts), through the one middleware stack. */
export const handler = lambdaHandler(migrateFromEnvironment);
