import { ingestIotFromEnvironment } from '../../shared/apps/ingest-iot.ts';
import { lambdaHandler } from '../../shared/apps/runtime/lambda.ts';

/** The IoT rule audit/+/events: validate, stamp the device, enqueue. Wired on the first invocation (shared/apps/ingest-iot.ts), through the one middleware stack. */
export const handler = lambdaHandler(ingestIotFromEnvironment);
