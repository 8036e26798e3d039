import { forwarderFromEnvironment } from '../../shared/apps/forwarder.ts';
import { lambdaHandler } from '../../shared/apps/runtime/lambda.ts';

/** Every minute: stream the sealed log to each configured sink, from its cursor. Wired on the first invocation (shared/apps/forwarder.ts). */
export const handler = lambdaHandler(forwarderFromEnvironment);
