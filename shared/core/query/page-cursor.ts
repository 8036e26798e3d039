import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { EventQueryFilter, SortOrder } from './filter.ts';
import { MAX_WINDOW_DAYS } from './params.ts';

/**
 * The `next` of a page: where it ended, the window, order, filters and reader it was read with, and an HMAC over all
 * of it. Later pages reuse that window, so a relative `since=24h` does not slide between pages; a cursor replayed with
 * other filters, another order or by another reader, or changed in any byte, is refused. Without the signature a
 * client could keep the filters and widen the window past MAX_WINDOW_DAYS.
 */
interface PageCursor {
  occurredAt: string;
  id: string;
  since: string;
  until: string;
  order: SortOrder;
  /** sha256 of the filters (window aside), hidden types included: a reader whose role changed starts again. */
  filters: string;
  user: string;
}

/** Signs cursor text: HMAC-SHA256 under the deployment's secret. Passed in, so the core never sees where it is kept. */
export type CursorSigner = (message: string) => Buffer;

/** The shortest secret accepted: 256 bits, the size of the HMAC-SHA256 key. */
export const MIN_CURSOR_SECRET_BYTES = 32;

export function hmacCursorSigner(secret: string): CursorSigner {
  if (Buffer.byteLength(secret) < MIN_CURSOR_SECRET_BYTES)
    throw new Error(`the cursor secret must be at least ${MIN_CURSOR_SECRET_BYTES} bytes`);
  return (message) => createHmac('sha256', secret).update(message).digest();
}

/** What a cursor is bound to besides its position: the request it continues. */
export interface CursorScope {
  filter: EventQueryFilter;
  order: SortOrder;
  user: string;
}

// Domain-separates the MAC: the same secret signing anything else can never produce a valid cursor.
const MAC_CONTEXT = 'fleet-audit page cursor v1\n';
const DAY_MS = 86_400_000;

const cursorSchema = z.strictObject({
  occurredAt: z.iso.datetime(),
  id: z.uuid(),
  since: z.iso.datetime(),
  until: z.iso.datetime(),
  order: z.enum(['asc', 'desc']),
  filters: z.string().regex(/^[0-9a-f]{64}$/),
  user: z.string().min(1),
});

function fingerprint(filter: EventQueryFilter): string {
  const { since: _since, until: _until, ...rest } = filter;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

export function encodePageCursor(
  sign: CursorSigner,
  { filter, order, user }: CursorScope,
  last: { occurredAt: string; id: string },
): string {
  const cursor: PageCursor = {
    occurredAt: last.occurredAt,
    id: last.id,
    since: filter.since.toISOString(),
    until: filter.until.toISOString(),
    order,
    filters: fingerprint(filter),
    user,
  };
  const body = Buffer.from(JSON.stringify(cursor)).toString('base64url');
  return `${body}.${sign(MAC_CONTEXT + body).toString('base64url')}`;
}

export type CursorResult =
  | { ok: true; filter: EventQueryFilter; after: { occurredAt: string; id: string } }
  | { ok: false; message: string };

const refuse = (message: string): CursorResult => ({ ok: false, message });
const NOT_OURS = 'not a cursor from this API; pass the "next" value of a previous page unchanged';

/** Applies a cursor to the request it must continue: the cursor's window replaces the freshly resolved one. */
export function applyPageCursor(sign: CursorSigner, text: string, scope: CursorScope): CursorResult {
  const [body, mac, ...rest] = text.split('.');
  if (!body || !mac || rest.length > 0) return refuse(NOT_OURS);
  // Compared as text, not decoded bytes: base64url's spare bits would otherwise let two spellings pass.
  const given = Buffer.from(mac);
  const expected = Buffer.from(sign(MAC_CONTEXT + body).toString('base64url'));
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return refuse(`${NOT_OURS} (its signature does not match: it was altered, or issued by another deployment)`);
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    raw = undefined;
  }
  // A signed cursor of another shape can only come from another version of this API.
  const parsed = cursorSchema.safeParse(raw);
  if (!parsed.success) return refuse(NOT_OURS);
  const cursor = parsed.data;
  if (cursor.user !== scope.user) return refuse('was issued to another user; start again without a cursor');
  if (cursor.order !== scope.order || cursor.filters !== fingerprint(scope.filter))
    return refuse('belongs to other filters or another order; start again without a cursor');
  const since = new Date(cursor.since);
  const until = new Date(cursor.until);
  // Signed windows were resolved by params.ts; checked again so a leaked secret alone cannot read years at once.
  if (since >= until || until.getTime() - since.getTime() > MAX_WINDOW_DAYS * DAY_MS) return refuse(NOT_OURS);
  return {
    ok: true,
    filter: { ...scope.filter, since, until },
    after: { occurredAt: cursor.occurredAt, id: cursor.id },
  };
}
