import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { EventQueryFilter, SortOrder } from './filter.ts';

/**
 * The `next` of a page: where it ended, plus the window and filters it was read with. Later pages reuse that window,
 * so a relative `since=24h` does not slide between pages, and a cursor replayed with other filters is refused.
 */
interface PageCursor {
  occurredAt: string;
  id: string;
  since: string;
  until: string;
  order: SortOrder;
  filters: string;
}

const cursorSchema = z.strictObject({
  occurredAt: z.iso.datetime(),
  id: z.uuid(),
  since: z.iso.datetime(),
  until: z.iso.datetime(),
  order: z.enum(['asc', 'desc']),
  filters: z.string().regex(/^[0-9a-f]{16}$/),
});

/** A short fingerprint of everything but the window. */
function fingerprint(filter: EventQueryFilter, order: SortOrder): string {
  const { since: _since, until: _until, ...rest } = filter;
  return createHash('sha256')
    .update(JSON.stringify({ ...rest, order }))
    .digest('hex')
    .slice(0, 16);
}

export function encodePageCursor(
  filter: EventQueryFilter,
  order: SortOrder,
  last: { occurredAt: string; id: string },
): string {
  const cursor: PageCursor = {
    occurredAt: last.occurredAt,
    id: last.id,
    since: filter.since.toISOString(),
    until: filter.until.toISOString(),
    order,
    filters: fingerprint(filter, order),
  };
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export type CursorResult =
  | { ok: true; filter: EventQueryFilter; after: { occurredAt: string; id: string } }
  | { ok: false; message: string };

/** Applies a cursor to the filter it must belong to: the cursor's window replaces the freshly resolved one. */
export function applyPageCursor(text: string, filter: EventQueryFilter, order: SortOrder): CursorResult {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    raw = undefined;
  }
  const parsed = cursorSchema.safeParse(raw);
  if (!parsed.success)
    return { ok: false, message: 'not a cursor from this API; pass the "next" value of a previous page unchanged' };
  const cursor = parsed.data;
  if (cursor.order !== order || cursor.filters !== fingerprint(filter, order))
    return { ok: false, message: 'belongs to other filters; start again without a cursor' };
  return {
    ok: true,
    filter: { ...filter, since: new Date(cursor.since), until: new Date(cursor.until) },
    after: { occurredAt: cursor.occurredAt, id: cursor.id },
  };
}
