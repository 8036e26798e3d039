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
  const result = parseConfig(shape, env);
  if (result.problems.length > 0) throw new Error(`Configuration error: ${result.problems.join('; ')}`);
  return result.data as z.infer<z.ZodObject<S>>;
}

/**
 * Parses the environment with a zod shape without throwing: the data, or one problem per bad variable
 * (`NAME is invalid (why): what it is for`), so a caller can report several shapes' problems at once.
 */
export function parseConfig<S extends z.ZodRawShape>(
  shape: S,
  env: NodeJS.ProcessEnv = process.env,
): { data: z.infer<z.ZodObject<S>> | undefined; problems: string[] } {
  const result = z.object(shape).safeParse(env);
  if (result.success) return { data: result.data, problems: [] };
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0]);
    const what = (shape[name] as z.ZodType | undefined)?.description;
    const why = env[name] === undefined ? 'is not set' : `is invalid (${issue.message})`;
    return `${name} ${why}${what ? `: ${what}` : ''}`;
  });
  return { data: undefined, problems };
}

export const queueUrl = z.url().describe('URL of the SQS FIFO queue events are put on');
export const deadLetterQueueUrl = z
  .url()
  .describe('URL of the FIFO dead-letter queue for events that can never be stored');

/** The event-type catalog with the deployment's `EXTRA_EVENT_TYPES` registered. */
export function catalogFromEnv(env: NodeJS.ProcessEnv = process.env) {
  return createCatalog(parseExtraEventTypes(env.EXTRA_EVENT_TYPES));
}
