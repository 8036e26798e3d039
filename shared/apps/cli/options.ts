import { InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { type EntityRef, entityRefSchema } from '../../core/domain/entity.ts';

/**
 * A commander argument parser from a zod schema: a value the schema refuses is a usage error (exit 2) that commander
 * reports as `option '--now <instant>' argument 'yesterday' is invalid. <why>`.
 */
export function parsedBy<T>(schema: z.ZodType<T>): (value: string) => T {
  return (value) => {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    throw new InvalidArgumentError(parsed.error.issues.map((issue) => issue.message).join('; '));
  };
}

/** The forms the query API also takes as ISO-8601: a date, or an instant with its zone. */
export const instantSchema = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], {
    error: 'must be an ISO-8601 date (2025-01-01) or an instant with its zone (2027-09-15T00:00:00Z)',
  })
  .transform((text) => new Date(text));

/** `robot:r-17`: the type, then everything after the first ":" is the id. */
export const entitySchema = z
  .string()
  .regex(/^[^:]+:/, 'must be type:id, e.g. robot:r-17')
  .transform((key, ctx): EntityRef => {
    const at = key.indexOf(':');
    const parsed = entityRefSchema.safeParse({ type: key.slice(0, at), id: key.slice(at + 1) });
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.issues.push({ code: 'custom', message: issue.message, input: key });
    return z.NEVER;
  });

/** `2024-07`, as the archive's named queries take months. */
export const monthSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month, YYYY-MM (e.g. 2024-07)');

/** A whole number ≥ 1 (`--max-findings 20`). */
export const countSchema = z.coerce
  .number({ error: 'must be a whole number' })
  .int('must be a whole number')
  .min(1, 'must be at least 1');

export const parseInstant = parsedBy(instantSchema);
export const parseCount = parsedBy(countSchema);
export const parseEntity = parsedBy(entitySchema);
export const parseMonth = parsedBy(monthSchema);

/** `--from 1200` (a seq of the log) or `--from 2026-05-01` (an instant). */
export const seqOrInstantSchema = z.union([z.coerce.number().int().min(0), instantSchema], {
  error: 'must be a seq of the log (a whole number ≥ 0) or an ISO-8601 date or instant with its zone',
});
export const parseSeqOrInstant = parsedBy(seqOrInstantSchema);
