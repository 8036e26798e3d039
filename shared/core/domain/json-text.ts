import { z } from 'zod';

/**
 * A setting whose text is JSON (an environment variable, a secret): parsed, then checked by `schema`. Text that is
 * not JSON is one issue, `notJson`, rather than an exception.
 */
export function jsonText<T extends z.ZodType>(schema: T, notJson: string) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: notJson });
        return z.NEVER;
      }
    })
    .pipe(schema);
}
