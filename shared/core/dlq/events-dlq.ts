import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { MAX_RECEIVE_COUNT } from '../contracts/queue.ts';
import { entityKey } from '../domain/entity.ts';
import type { StoredEvent } from '../domain/event.ts';
import { escapeForQueue, type QueueMessageBody } from '../ingest/packing.ts';
import type { HeldMessage } from '../ports/dead-letters.ts';
import type { QueueMessage } from '../ports/events.ts';
import { type ReadDeadLetter, readDeadLetter } from '../writer/dead-letter.ts';
import { messageBodySchema } from '../writer/write-batch.ts';
import { bodyForShow, type DeadLetterKind, type DeadLetterSummary, type RedrivePlan } from './summary.ts';

/**
 * The deduplication id of a redriven message: derived from its DLQ message id, not the original's.
 *
 * FIFO drops, silently, a message whose deduplication id was used in the last 5 minutes, and a message that failed
 * MAX_RECEIVE_COUNT receives while the database was down is usually younger than that: resent with its original id
 * it would be acknowledged and lost. An id derived from the DLQ message id is new to the queue, and the same on a
 * retry of a redrive that resent but did not get to delete (SQS drops the second copy within 5 minutes; after that
 * the store, which skips an event id it already has, makes the replay harmless).
 */
export function redriveDeduplicationId(deadLetterMessageId: string): string {
  return `redrive-${createHash('sha256').update(deadLetterMessageId).digest('hex')}`;
}

/** The events DLQ (core/writer/dead-letter.ts tells its three kinds of message apart). */
export const eventsDeadLetters: DeadLetterKind<QueueMessage> = {
  describe: describeDeadLetter,
  plan: planRedrive,
  show(message) {
    return {
      ...describeDeadLetter(message),
      groupId: message.groupId,
      attributes: { reason: message.reason, originalMessageId: message.originalMessageId },
      body: bodyForShow(message.body),
    };
  },
};

export function describeDeadLetter(message: HeldMessage): DeadLetterSummary {
  const read = readLetter(message);
  const plan = planRedrive(message);
  const common = {
    id: message.messageId,
    receives: message.receiveCount,
    deadLetteredAt: message.sentAt?.toISOString(),
    redrivable: plan.ok,
    ...(!plan.ok && { notRedrivable: plan.why }),
  };
  if ('malformed' in read)
    return { ...common, kind: 'event', reason: read.malformed, group: message.groupId, eventIds: [] };
  if (read.kind === 'event')
    return {
      ...common,
      kind: 'event',
      reason: read.reason,
      group: read.groupId,
      eventIds: [read.event.id],
      acceptedAt: read.event.receivedAt,
      originalId: read.messageId,
    };
  const events = eventsOf(message.body);
  const carried = {
    group: message.groupId ?? (events?.[0] && entityKey(events[0].entity)),
    eventIds: events?.map((event) => event.id) ?? [],
    acceptedAt: events?.[0]?.receivedAt,
  };
  if (read.kind === 'message')
    return { ...common, ...carried, kind: 'message', reason: read.reason, originalId: read.messageId };
  return {
    ...common,
    ...carried,
    kind: 'retries',
    reason: `failed ${MAX_RECEIVE_COUNT} receives, each a transient failure (e.g. the database unreachable): see the writer's log`,
  };
}

/**
 * What a redrive sends to the events queue, in the message's group (the entity, so its events stay in order):
 * a message of events as it is; a refused event as a message of its own, `{"events":[event]}`. A body that is not
 * events cannot be redriven: the writer would only dead-letter it again.
 */
export function planRedrive(message: HeldMessage): RedrivePlan<QueueMessage> {
  const read = readLetter(message);
  const deduplicationId = redriveDeduplicationId(message.messageId);
  if ('malformed' in read) return { ok: false, why: read.malformed };
  if (read.kind === 'event') {
    const body: QueueMessageBody = { events: [read.event] };
    return { ok: true, action: { groupId: read.groupId, deduplicationId, body: escapeForQueue(JSON.stringify(body)) } };
  }
  const events = eventsOf(message.body);
  if (!events)
    return {
      ok: false,
      why: `its body is not a message of valid events, so the writer would dead-letter it again (${read.kind === 'message' ? read.reason : 'unreadable body'}): fix it and send the events anew`,
    };
  const groupId = message.groupId ?? entityKey(events[0]!.entity);
  return { ok: true, action: { groupId, deduplicationId, body: message.body } };
}

/** The message read as a dead letter, or why a body claiming the dead-letter format does not match it. */
function readLetter(message: HeldMessage): ReadDeadLetter | { malformed: string } {
  try {
    return readDeadLetter(message.body, { reason: message.reason, originalMessageId: message.originalMessageId });
  } catch (error) {
    const issue = (error as z.ZodError).issues?.[0];
    return {
      malformed: `its body claims the dead-letter format but does not match it (${issue ? `${issue.path.join('.')}: ${issue.message}` : String(error)})`,
    };
  }
}

/** The events of a body the writer would take (`{"events":[…]}`), or undefined. */
function eventsOf(body: string): StoredEvent[] | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  const parsed = messageBodySchema.safeParse(json);
  return parsed.success ? parsed.data.events : undefined;
}
