import { createHash } from 'node:crypto';
import { entityKey } from '../domain/entity.ts';
import type { StoredEvent } from '../domain/event.ts';
import { eventContent } from '../domain/event-digest.ts';
import { eventText } from '../domain/event-text.ts';
import type { QueueMessage } from '../ports/events.ts';

/** SQS's message size limit is 256 KiB; leave room for attributes and framing. */
export const MAX_MESSAGE_BYTES = 240 * 1024;

const ASTRAL = /[\u{10000}-\u{10FFFF}]/gu;
const escapeUnit = (unit: number) => `\\u${unit.toString(16).padStart(4, '0')}`;

/**
 * JSON text with every character above U+FFFF (emoji, most CJK extensions) written as its JSON surrogate-pair escape
 * (`😀` → `\ud83d\ude00`). The text means the same JSON (`JSON.parse` restores the character) and holds only
 * characters below U+FFFE, which every SQS accepts: AWS takes U+10000–U+10FFFF raw, but the local emulator (fauxqs)
 * refuses them, so the same escaped body runs everywhere. In JSON text from `JSON.stringify` such characters can only
 * be inside strings, where an escape is valid. An escaped character takes 12 bytes instead of 4.
 */
export function escapeForQueue(json: string): string {
  return json.replace(ASTRAL, (character) => escapeUnit(character.charCodeAt(0)) + escapeUnit(character.charCodeAt(1)));
}

/** The body of a queue message: the events of one entity, oldest first as they arrived. */
export interface QueueMessageBody {
  events: StoredEvent[];
}

/**
 * The FIFO deduplication id of a message: its events' ids and content, in order. A resend of the same events is
 * dropped by SQS inside its 5-minute window (and is a no-op in the store after it); the same id with other content
 * gets another deduplication id, so it reaches the writer, which refuses it as a dead letter: SQS never drops it
 * silently. The content is the digest's fields (eventContent: not what each receive stamps, so a retry still
 * matches), serialized as JSON in the order they came, not canonically: a retry sends the same bytes, so it matches;
 * the same event with its payload keys in another order gets another id and is delivered, and the store, which
 * compares canonical digests, takes it as the resend it is. That saves the canonical form's cost on every event.
 */
export function deduplicationIdFor(events: readonly StoredEvent[]): string {
  const hash = createHash('sha256');
  for (const event of events)
    hash
      .update(event.id.toLowerCase())
      .update(':')
      .update(JSON.stringify(eventContent(event)))
      .update('\n');
  return hash.digest('hex');
}

/**
 * Packs events into FIFO messages: one group per entity, several events per message up to the size limit,
 * keeping each entity's events in request order.
 */
export function packEvents(events: readonly StoredEvent[], maxBytes = MAX_MESSAGE_BYTES): QueueMessage[] {
  const byGroup = new Map<string, StoredEvent[]>();
  for (const event of events) {
    const key = entityKey(event.entity);
    const group = byGroup.get(key);
    if (group) group.push(event);
    else byGroup.set(key, [event]);
  }
  const messages: QueueMessage[] = [];
  for (const [groupId, groupEvents] of byGroup) {
    let chunk: StoredEvent[] = [];
    let texts: string[] = [];
    let chunkBytes = 0;
    const flush = () => {
      if (chunk.length === 0) return;
      messages.push(toMessage(groupId, chunk, texts));
      chunk = [];
      texts = [];
      chunkBytes = 0;
    };
    for (const event of groupEvents) {
      // Each event is serialized once (the text validation measured it by), escaped as sent (an emoji is 12 bytes there), so a message never outgrows the
      // limit; +1 for the comma between array items, and the envelope `{"events":[]}` is 13 bytes.
      const text = escapeForQueue(eventText(event));
      const bytes = Buffer.byteLength(text) + 1;
      if (chunkBytes + bytes + 13 > maxBytes) flush();
      chunk.push(event);
      texts.push(text);
      chunkBytes += bytes;
    }
    flush();
  }
  return messages;
}

/** The message of a chunk, its body built from the events' texts: the same JSON as `JSON.stringify({ events })`. */
function toMessage(groupId: string, events: StoredEvent[], texts: readonly string[]): QueueMessage {
  return { groupId, deduplicationId: deduplicationIdFor(events), body: `{"events":[${texts.join(',')}]}` };
}

/** SendMessageBatch takes at most 10 entries and 256 KiB in all. */
export const MAX_BATCH_ENTRIES = 10;
export const MAX_BATCH_BYTES = 256 * 1024;

/**
 * Orders messages into SendMessageBatch rounds with at most one message per group in a round, so a failed entry
 * can be retried before anything later of its group is sent: per-entity order survives partial batch failures.
 */
export function planSendRounds(messages: readonly QueueMessage[]): QueueMessage[][] {
  const queues = new Map<string, QueueMessage[]>();
  for (const message of messages) {
    const queue = queues.get(message.groupId);
    if (queue) queue.push(message);
    else queues.set(message.groupId, [message]);
  }
  const rounds: QueueMessage[][] = [];
  let level = 0;
  for (;;) {
    const layer = [...queues.values()].map((queue) => queue[level]).filter((m): m is QueueMessage => m !== undefined);
    if (layer.length === 0) break;
    rounds.push(layer);
    level++;
  }
  return rounds;
}

/** Splits one round into SendMessageBatch calls by entry count and total size. */
export function chunkBatch(messages: readonly QueueMessage[]): QueueMessage[][] {
  const batches: QueueMessage[][] = [];
  let batch: QueueMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.body);
    if (batch.length > 0 && (batch.length === MAX_BATCH_ENTRIES || bytes + size > MAX_BATCH_BYTES)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(message);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
