import { lambdaHandler } from '../../shared/apps/runtime/lambda.ts';
import { writerFromEnvironment } from '../../shared/apps/writer.ts';

/** The writer: SQS FIFO batches into PostgreSQL, then CRITICAL alerts. Wired on the first invocation (shared/apps/writer.ts), through the one middleware stack. */
export const handler = lambdaHandler(writerFromEnvironment);
