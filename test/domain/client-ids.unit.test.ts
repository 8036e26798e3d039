import { describe, expect, it } from 'vitest';
import { createCatalog } from '../../shared/core/domain/catalog.ts';
import { type IngestContext, validateEvents } from '../../shared/core/domain/event.ts';
import { deduplicationIdFor } from '../../shared/core/ingest/packing.ts';

const ctx: IngestContext = {
  catalog: createCatalog(),
  receivedAt: new Date('2026-05-01T12:00:00Z'),
  actor: { type: 'user', id: 'alice' },
  source: { channel: 'http', principal: 'alice' },
  roles: ['operator'],
};
const id = '0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b';

describe('client-supplied ids', () => {
  it('keeps the id and the occurredAt the client sent, so a retry is the same event', () => {
    const raw = { id, type: 'robot.online', entity: { type: 'robot', id: 'r-1' }, occurredAt: '2026-05-01T11:00:00Z' };
    const first = validateEvents([raw], ctx);
    const retry = validateEvents([raw], { ...ctx, receivedAt: new Date('2026-05-01T12:05:00Z') });
    expect(first.ok && retry.ok).toBe(true);
    if (!first.ok || !retry.ok) return;
    expect([retry.events[0]!.id, retry.events[0]!.occurredAt]).toEqual([
      first.events[0]!.id,
      first.events[0]!.occurredAt,
    ]);
    // The same FIFO deduplication id: SQS drops the retry inside its 5-minute window.
    expect(deduplicationIdFor(retry.events)).toBe(deduplicationIdFor(first.events));
  });

  it('refuses an id without occurredAt, which would make every retry a new event', () => {
    const result = validateEvents([{ id, type: 'robot.online', entity: { type: 'robot', id: 'r-1' } }], ctx);
    expect(result).toEqual({
      ok: false,
      idConflict: false,
      issues: [
        expect.objectContaining({
          index: 0,
          path: 'occurredAt',
          message: expect.stringContaining('required when id is given'),
        }),
      ],
    });
  });
});
