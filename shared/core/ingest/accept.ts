import { type EventIssue, type IngestContext, type StoredEvent, validateEvents } from '../domain/event.ts';
import type { EventQueue } from '../ports/events.ts';
import { forbiddenEvents } from './may-emit.ts';
import { packEvents } from './packing.ts';

/** `forbidden`: some events are of types the sender may not emit (HTTP 403); `issues` names only those. */
export type AcceptResult =
  | { ok: true; events: StoredEvent[] }
  | { ok: false; issues: EventIssue[]; idConflict: boolean; forbidden: boolean };

/**
 * Checks who may emit each event's type, validates the events all-or-nothing and puts them on the queue. Resolves
 * `ok` only once every event is on the queue; a queue failure rejects (the caller answers "retry", and ids make the
 * retry safe).
 */
export async function acceptEvents(
  raws: readonly unknown[],
  ctx: IngestContext,
  queue: EventQueue,
): Promise<AcceptResult> {
  const forbidden = forbiddenEvents(raws, ctx);
  if (forbidden.length > 0) return { ok: false, issues: forbidden, idConflict: false, forbidden: true };
  const validated = validateEvents(raws, ctx);
  if (!validated.ok) return { ...validated, forbidden: false };
  await queue.send(packEvents(validated.events));
  return { ok: true, events: validated.events };
}
