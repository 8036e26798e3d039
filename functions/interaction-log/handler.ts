import { interactionLogFromEnvironment } from '../../shared/apps/interaction-log.ts';
import { lambdaHandler } from '../../shared/apps/runtime/lambda.ts';

/** API Gateway's access log → audit.api.request events. Wired on the first invocation (shared/apps/interaction-log.ts), through the one middleware stack. */
export const handler = lambdaHandler(interactionLogFromEnvironment);
