import { z } from 'zod';

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
