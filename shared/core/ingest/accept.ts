import { type EventIssue, type IngestContext, type StoredEvent, validateEvents } from '../domain/event.ts';
import type { EventQueue } from '../ports/events.ts';
import { packEvents } from './packing.ts';

export type AcceptResult =
  | { ok: true; events: StoredEvent[] }
  | { ok: false; issues: EventIssue[]; idConflict: boolean };

/**
 * Validates a request's events all-or-nothing and puts them on the queue. Resolves `ok` only once every event is
 * on the queue; a queue failure rejects (the caller answers "retry", and ids make the retry safe).
 */
export async function acceptEvents(
  raws: readonly unknown[],
  ctx: IngestContext,
  queue: EventQueue,
): Promise<AcceptResult> {
  const validated = validateEvents(raws, ctx);
  if (!validated.ok) return validated;
  await queue.send(packEvents(validated.events));
  return { ok: true, events: validated.events };
}
