import { z } from 'zod';

/** Where a page ended: the last event's sort key (occurred_at DESC, id DESC). */
export interface CursorPosition {
  occurredAt: string;
  id: string;
}

/** A cursor this store did not issue (or that was altered): the caller's mistake, e.g. an HTTP 400. */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

const positionSchema = z.strictObject({ occurredAt: z.iso.datetime(), id: z.uuid() });

/** Opaque to clients: base64url of the JSON position. */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify({ occurredAt: position.occurredAt, id: position.id })).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const position = positionSchema.safeParse(parsed);
  if (!position.success) {
    throw new InvalidCursorError('not a cursor from this API; pass the "next" value of a previous page unchanged');
  }
  return position.data;
}
