import { ingestHttpFromEnvironment } from '../../shared/apps/ingest-http.ts';
import { lambdaHandler } from '../../shared/apps/runtime/lambda.ts';

/** POST /events: validate, stamp the caller, enqueue. Wired on the first invocation (shared/apps/ingest-http.ts), through the one middleware stack. */
export const handler = lambdaHandler(ingestHttpFromEnvironment);
