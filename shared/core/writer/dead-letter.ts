import { z } from 'zod';
import { storedEventSchema } from '../domain/event.ts';
import type { DeadLetterMessage } from '../ports/events.ts';

/**
 * What the dead-letter queue holds, and how to tell its messages apart (what `trail dlq list|show|redrive` reads).
 * Every message keeps the MessageGroupId of the message it came from (the entity), so a redrive can go per entity.
 *
 * 1. An event PostgreSQL refused, dead-lettered alone by the writer: the body is a `DeadEvent` (JSON, `format` =
 *    `DEAD_LETTER_FORMAT`), the deduplication id `<original message id>:<event index>`. The other events of its
 *    message were stored.
 * 2. A message whose body could not be parsed, dead-lettered whole by the writer: the body is the original body,
 *    unchanged (it may be anything), with the message attributes `reason` and `originalMessageId`, and the original
 *    deduplication id.
 * 3. A message the event queue's redrive policy moved after `MAX_RECEIVE_COUNT` receives (it kept failing
 *    transiently): the original body (`{"events":[…]}`), without a `reason` attribute.
 *
 * Writer dead letters (1 and 2) also carry the reason in the `reason` message attribute (truncated to 1024
 * characters), for the console.
 */
export const DEAD_LETTER_FORMAT = 'trail.dead-letter/1';

export const deadEventSchema = z.strictObject({
  format: z.literal(DEAD_LETTER_FORMAT),
  kind: z.literal('event'),
  /** Why it can never be stored, for people: PostgreSQL's message and SQLSTATE. */
  reason: z.string().min(1),
  /** PostgreSQL's SQLSTATE for the refusal (e.g. `22P05`). */
  sqlState: z.string().regex(/^[0-9A-Z]{5}$/),
  /** The SQS message id of the message the event came in. */
  messageId: z.string().min(1),
  /** The MessageGroupId of that message: the entity key (`robot:r-17`). */
  groupId: z.string(),
  /** The event's position in that message's `events`, from 0. */
  eventIndex: z.number().int().min(0),
  /** The event as the writer received it. */
  event: storedEventSchema,
});
export type DeadEvent = z.infer<typeof deadEventSchema>;

/** What a DLQ message is, from its body and message attributes (see above). */
export type ReadDeadLetter =
  | DeadEvent
  | { kind: 'message'; body: string; reason: string; messageId: string | undefined }
  | { kind: 'redriven'; body: string };

/** Reads one DLQ message. A body that claims the format but does not match it throws: it is not ours to guess. */
export function readDeadLetter(
  body: string,
  attributes: { reason?: string | undefined; originalMessageId?: string | undefined } = {},
): ReadDeadLetter {
  const envelope = parseJson(body);
  if (
    typeof envelope === 'object' &&
    envelope !== null &&
    'format' in envelope &&
    envelope.format === DEAD_LETTER_FORMAT
  )
    return deadEventSchema.parse(envelope);
  if (attributes.reason !== undefined)
    return { kind: 'message', body, reason: attributes.reason, messageId: attributes.originalMessageId };
  return { kind: 'redriven', body };
}

/** The DLQ message for one refused event (kind 1 above). */
export function deadEventMessage(dead: Omit<DeadEvent, 'format' | 'kind'>): DeadLetterMessage {
  const letter: DeadEvent = { format: DEAD_LETTER_FORMAT, kind: 'event', ...dead };
  return {
    groupId: dead.groupId,
    deduplicationId: `${dead.messageId}:${dead.eventIndex}`,
    body: JSON.stringify(letter),
    reason: dead.reason,
    originalMessageId: dead.messageId,
  };
}

/** The DLQ message for a message that could not be parsed (kind 2 above): the original, whole. */
export function deadMessage(record: {
  messageId: string;
  groupId: string;
  deduplicationId: string;
  body: string;
  reason: string;
}): DeadLetterMessage {
  return {
    groupId: record.groupId,
    deduplicationId: record.deduplicationId,
    body: record.body,
    reason: record.reason,
    originalMessageId: record.messageId,
  };
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
