import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { type EventQueryFilter, type SortOrder, windowLongerThan } from './filter.ts';

/** The sort key of a row: where a page ended, or where an archive scan starts below. */
export interface Position {
  occurredAt: string;
  id: string;
}

/**
 * Where a walk through the events stands (core/query/history-walk.ts). `postgres`: rows at or after `hotFrom` (all
 * rows when undefined), read from PostgreSQL by keyset after `after`. `archive`: rows below `from` (the whole window
 * when undefined) from the archive job `job` merged with PostgreSQL's (late events, months not dropped yet); `before`
 * is the last row served, `token` where the job's results are read on (the page holding the first row not served),
 * `exhausted` once the job's results are all read. An `archive` state without a job is the link that starts one.
 */
export type WalkState =
  | { phase: 'postgres'; after?: Position; hotFrom?: string }
  | { phase: 'archive'; from?: Position; before?: Position; job?: string; token?: string; exhausted?: true };

/**
 * The `next` of a page: where the walk stands, the window, order, route, filters and reader it was read with, and an
 * HMAC over all of it. Later pages reuse that window, so a relative `since=24h` does not slide between pages; a cursor
 * replayed with other filters, on another route, in another order or by another reader, or changed in any byte, is
 * refused. Without the signature a client could widen a capped window, or name another reader's archive job.
 */
interface PageCursor {
  state: WalkState;
  since: string;
  until: string;
  order: SortOrder;
  /** sha256 of the route and the filters (window aside), hidden types included: a reader whose role changed starts again. */
  filters: string;
  user: string;
}

/** Signs cursor text: HMAC-SHA256 under the deployment's secret. Passed in, so the core never sees where it is kept. */
export type CursorSigner = (message: string) => Buffer;

/** The shortest secret accepted: 256 bits, the size of the HMAC-SHA256 key. */
export const MIN_CURSOR_SECRET_BYTES = 32;

/** The longest cursor: an Athena result token (up to 1,024 characters) in base64 with the rest. */
export const MAX_CURSOR_LENGTH = 4096;

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
  /** The route the cursor pages: a cursor of GET /events is not one of the entity history, whose window is not capped. */
  route?: string;
  /** The widest window the route reads; undefined: not capped (entity history). */
  maxWindowDays?: number;
}

// Domain-separates the MAC: the same secret signing anything else can never produce a valid cursor.
const MAC_CONTEXT = 'fleet-audit page cursor v2\n';

const positionSchema = z.strictObject({ occurredAt: z.iso.datetime(), id: z.uuid() });
const stateSchema = z.discriminatedUnion('phase', [
  z.strictObject({
    phase: z.literal('postgres'),
    after: positionSchema.optional(),
    hotFrom: z.iso.datetime().optional(),
  }),
  z.strictObject({
    phase: z.literal('archive'),
    from: positionSchema.optional(),
    before: positionSchema.optional(),
    job: z.string().min(1).max(256).optional(),
    token: z.string().min(1).max(1024).optional(),
    exhausted: z.literal(true).optional(),
  }),
]);
const cursorSchema = z.strictObject({
  state: stateSchema,
  since: z.iso.datetime(),
  until: z.iso.datetime(),
  order: z.enum(['asc', 'desc']),
  filters: z.string().regex(/^[0-9a-f]{64}$/),
  user: z.string().min(1),
});

function fingerprint(filter: EventQueryFilter, route: string | undefined): string {
  const { since: _since, until: _until, ...rest } = filter;
  return createHash('sha256')
    .update(JSON.stringify({ route: route ?? null, ...rest }))
    .digest('hex');
}

export function encodePageCursor(sign: CursorSigner, scope: CursorScope, state: WalkState): string {
  const cursor: PageCursor = {
    state,
    since: scope.filter.since.toISOString(),
    until: scope.filter.until.toISOString(),
    order: scope.order,
    filters: fingerprint(scope.filter, scope.route),
    user: scope.user,
  };
  const body = Buffer.from(JSON.stringify(cursor)).toString('base64url');
  return `${body}.${sign(MAC_CONTEXT + body).toString('base64url')}`;
}

export type CursorResult = { ok: true; filter: EventQueryFilter; state: WalkState } | { ok: false; message: string };

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
  if (cursor.order !== scope.order || cursor.filters !== fingerprint(scope.filter, scope.route))
    return refuse('belongs to other filters, another route or another order; start again without a cursor');
  const since = new Date(cursor.since);
  const until = new Date(cursor.until);
  // Signed windows were resolved by params.ts; checked again so a leaked secret alone cannot read years at once.
  if (since >= until) return refuse(NOT_OURS);
  if (scope.maxWindowDays !== undefined && windowLongerThan({ since, until }, scope.maxWindowDays))
    return refuse(NOT_OURS);
  return { ok: true, filter: { ...scope.filter, since, until }, state: cursor.state as WalkState };
}
