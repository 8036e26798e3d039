import { queryApiFromEnvironment } from '../../shared/apps/query-api.ts';
import { lambdaHandler } from '../../shared/apps/runtime/lambda.ts';

/** Every query route, reading as audit_reader, every read audited. Wired on the first invocation (shared/apps/query-api.ts), through the one middleware stack. */
export const handler = lambdaHandler(queryApiFromEnvironment);
