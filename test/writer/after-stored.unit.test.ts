import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../shared/core/domain/event.ts';
import type { DeadLetterQueue, EventWriter } from '../../shared/core/ports/events.ts';
import { type QueueRecord, writeBatch } from '../../shared/core/writer/write-batch.ts';
import { storedEvent } from '../support/events.ts';

const store: EventWriter = { write: async (events) => ({ inserted: [...events], conflicts: [] }) };
const deadLetters: DeadLetterQueue = { sendPoison: async () => undefined };

function record(messageId: string, groupId: string, event: StoredEvent): QueueRecord {
  return { messageId, groupId, deduplicationId: messageId, body: JSON.stringify({ events: [event] }) };
}

describe('writeBatch afterStored (e.g. CRITICAL alerts)', () => {
  it('runs once per stored record, in order', async () => {
    const seen: string[] = [];
    const records = [
      record('m1', 'robot:a', storedEvent({ entity: { type: 'robot', id: 'a' } })),
      record('m2', 'robot:b', storedEvent({ entity: { type: 'robot', id: 'b' } })),
    ];
    const outcome = await writeBatch(records, {
      store,
      deadLetters,
      afterStored: async (events) => {
        seen.push(events[0]!.entity.id);
      },
    });
    expect(seen).toEqual(['a', 'b']);
    expect(outcome.failedMessageIds).toEqual([]);
  });

  it('fails the record whose step failed and the later records of its group, so they are redelivered in order', async () => {
    const a1 = storedEvent({ entity: { type: 'robot', id: 'a' }, severity: 'CRITICAL' });
    const records = [
      record('m1', 'robot:a', a1),
      record('m2', 'robot:b', storedEvent({ entity: { type: 'robot', id: 'b' } })),
      record('m3', 'robot:a', storedEvent({ entity: { type: 'robot', id: 'a' } })),
    ];
    const outcome = await writeBatch(records, {
      store,
      deadLetters,
      afterStored: async (events) => {
        if (events[0]!.id === a1.id) throw new Error('IoT publish throttled');
      },
    });
    expect(outcome.failedMessageIds).toEqual(['m1', 'm3']);
    // The events are stored all the same; the redelivery's insert is a no-op.
    expect(outcome.stored).toHaveLength(3);
  });
});
