import { maintenanceFromEnvironment } from '../../shared/apps/maintenance.ts';
import { lambdaHandler } from '../../shared/apps/runtime/lambda.ts';

/** Scheduled partition maintenance and archival, continuing itself while work remains. Wired on the first invocation (shared/apps/maintenance.ts), through the one middleware stack. */
export const handler = lambdaHandler(maintenanceFromEnvironment);
