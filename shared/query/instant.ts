import { z } from 'zod';
import { parseEntityKey } from '../domain/entity.ts';
import { severitySchema } from '../domain/severity.ts';
import type { EventFilter } from '../ports/index.ts';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

const RELATIVE = /^(\d+)(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** An instant given as ISO-8601 or relative to now (`30m`, `24h`, `7d` ago). */
export function parseInstant(text: string, now: Date): Date | undefined {
  const relative = RELATIVE.exec(text);
  const isIso = z.iso.datetime({ offset: true }).safeParse(text).success || z.iso.date().safeParse(text).success;
  if (!relative && !isIso) return undefined;
  const instant = relative
    ? new Date(now.getTime() - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS])
    : new Date(text);
  // `1000000000d` ago is outside the Date range: an Invalid Date would throw later (toISOString), so refuse it here.
  return Number.isNaN(instant.getTime()) ? undefined : instant;
}

export const listParamsSchema = z.strictObject({
  entity: z.string().optional(),
  type: z
    .string()
    .regex(/^[a-z][a-z0-9_.]*(\.\*)?$/, 'type must be an event type (robot.online) or a prefix ending in .* (robot.*)')
    .optional(),
  severity: z.string().optional(),
  since: z.string().optional(),
  until: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: z.string().max(512).optional(),
});

export type ListParamsResult = { ok: true; filter: EventFilter } | { ok: false; parameter: string; message: string };

/** Reads GET /events query parameters into a filter, or names the offending parameter and why. */
export function parseListParams(query: Record<string, string | undefined>, now: Date): ListParamsResult {
  const parsed = listParamsSchema.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const parameter = issue.code === 'unrecognized_keys' ? issue.keys.join(',') : String(issue.path[0]);
    return {
      ok: false,
      parameter,
      message: issue.code === 'unrecognized_keys' ? 'unknown query parameter' : issue.message,
    };
  }
  const params = parsed.data;
  const filter: EventFilter = { limit: params.limit };
  if (params.entity !== undefined) {
    const entity = parseEntityKey(params.entity);
    if (!entity) return { ok: false, parameter: 'entity', message: 'must be type:id, e.g. robot:r-17' };
    filter.entity = entity;
  }
  if (params.type !== undefined) filter.type = params.type;
  if (params.severity !== undefined) {
    const severities = params.severity.split(',').map((s) => s.trim().toUpperCase());
    const bad = severities.find((s) => !severitySchema.safeParse(s).success);
    if (bad !== undefined)
      return { ok: false, parameter: 'severity', message: `"${bad}" is not one of INFO, WARNING, ERROR, CRITICAL` };
    filter.severity = severities;
  }
  for (const key of ['since', 'until'] as const) {
    const text = params[key];
    if (text === undefined) continue;
    const instant = parseInstant(text, now);
    if (!instant)
      return {
        ok: false,
        parameter: key,
        message: 'must be ISO-8601 (2026-05-01T00:00:00Z) or relative (30m, 24h, 7d)',
      };
    filter[key] = instant;
  }
  if (filter.since && filter.until && filter.since > filter.until)
    return { ok: false, parameter: 'since', message: 'is after until' };
  if (params.cursor !== undefined) filter.cursor = params.cursor;
  return { ok: true, filter };
}
