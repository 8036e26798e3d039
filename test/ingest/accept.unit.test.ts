import { describe, expect, it } from 'vitest';
import { createCatalog } from '../../shared/core/domain/catalog.ts';
import { type IngestContext, storedEventSchema } from '../../shared/core/domain/event.ts';
import { acceptEvents } from '../../shared/core/ingest/accept.ts';
import { deduplicationIdFor, type QueueMessageBody } from '../../shared/core/ingest/packing.ts';
import { recordingQueue } from '../support/recording-queue.ts';

/** An in-memory queue that records what it is given, and can be told to fail. */

const ctx: IngestContext = {
  actor: { type: 'device', id: 'r-17' },
  source: { channel: 'iot', principal: 'r-17', clientId: 'r-17' },
  roles: ['device'],
  receivedAt: new Date('2026-05-10T12:00:00Z'),
  catalog: createCatalog(),
};

const robot = (id: string, reason: string) => ({
  type: 'robot.offline',
  occurredAt: '2026-05-10T11:00:00+00:00',
  entity: { type: 'robot', id },
  payload: { reason },
});

describe('acceptEvents', () => {
  it('queues valid events and returns them', async () => {
    const queue = recordingQueue();
    const result = await acceptEvents([robot('r-1', 'a'), robot('r-2', 'b'), robot('r-1', 'c')], ctx, queue);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.events.map((e) => e.payload['reason'])).toEqual(['a', 'b', 'c']);
    expect(queue.messages.map((m) => m.groupId)).toEqual(['robot:r-1', 'robot:r-2']);
  });

  it('queued messages parse back to exactly the accepted events', async () => {
    const queue = recordingQueue();
    const result = await acceptEvents([robot('r-1', 'a'), robot('r-2', 'b'), robot('r-1', 'c')], ctx, queue);
    if (!result.ok) throw new Error('expected acceptance');
    const onQueue = queue.messages.flatMap((m) => {
      const body = JSON.parse(m.body) as QueueMessageBody;
      expect(m.deduplicationId).toBe(deduplicationIdFor(body.events));
      for (const event of body.events) {
        expect(storedEventSchema.safeParse(event).success).toBe(true);
        expect(m.groupId).toBe(`${event.entity.type}:${event.entity.id}`);
      }
      return body.events;
    });
    expect([...onQueue].sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      [...result.events].sort((a, b) => a.id.localeCompare(b.id)),
    );
    // Per-entity order is the request order.
    expect(onQueue.filter((e) => e.entity.id === 'r-1').map((e) => e.payload['reason'])).toEqual(['a', 'c']);
  });

  it('queues nothing when any event is invalid, and reports the problems', async () => {
    const queue = recordingQueue();
    const result = await acceptEvents(
      [robot('r-1', 'a'), { ...robot('r-2', 'b'), type: 'robot.vanished' }],
      ctx,
      queue,
    );
    expect(result).toEqual({
      ok: false,
      idConflict: false,
      forbidden: false,
      issues: [{ index: 1, path: 'type', message: expect.any(String) }],
    });
    expect(queue.calls).toBe(0);
    expect(queue.messages).toEqual([]);
  });

  it('queues nothing when a client claims an identity', async () => {
    const queue = recordingQueue();
    const result = await acceptEvents([{ ...robot('r-1', 'a'), actor: { type: 'user', id: 'admin' } }], ctx, queue);
    expect(result.ok).toBe(false);
    expect(queue.calls).toBe(0);
  });

  it('refuses the whole request, queueing nothing, when one event is of a type the sender may not emit', async () => {
    const queue = recordingQueue();
    const forged = { type: 'user.role.changed', entity: { type: 'user', id: 'carol' }, payload: { to: 'admin' } };
    const result = await acceptEvents([robot('r-1', 'a'), forged, { ...robot('r-2', 'b'), payload: 7 }], ctx, queue);
    // Only the forbidden event is named: who may not emit something learns nothing about the rest of the request.
    expect(result).toEqual({
      ok: false,
      idConflict: false,
      forbidden: true,
      issues: [
        {
          index: 1,
          path: 'type',
          message:
            'user.role.changed may not be emitted by role device over iot; it may be emitted by: identity over HTTP (http:identity)',
        },
      ],
    });
    expect(queue.calls).toBe(0);
  });

  it('rejects when the queue fails (the caller answers "retry")', async () => {
    const queue = recordingQueue(new Error('queue unavailable'));
    await expect(acceptEvents([robot('r-1', 'a')], ctx, queue)).rejects.toThrow('queue unavailable');
  });
});
