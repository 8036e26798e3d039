import { z } from 'zod';
import { createCatalog, parseExtraEventTypes } from '../../core/domain/catalog.ts';

/**
 * Parses the environment once with a zod shape; a missing or bad variable fails fast with a message that names it.
 * `describe()` on a field says what the variable is for.
 */
export function loadConfig<S extends z.ZodRawShape>(
  shape: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0]);
    const what = (shape[name] as z.ZodType | undefined)?.description;
    const why = env[name] === undefined ? 'is not set' : `is invalid (${issue.message})`;
    return `${name} ${why}${what ? `: ${what}` : ''}`;
  });
  throw new Error(`Configuration error: ${problems.join('; ')}`);
}

export const queueUrl = z.url().describe('URL of the SQS FIFO queue events are put on');
export const deadLetterQueueUrl = z
  .url()
  .describe('URL of the FIFO dead-letter queue for events that can never be stored');

/** The event-type catalog with the deployment's `EXTRA_EVENT_TYPES` registered. */
export function catalogFromEnv(env: NodeJS.ProcessEnv = process.env) {
  return createCatalog(parseExtraEventTypes(env.EXTRA_EVENT_TYPES));
}
