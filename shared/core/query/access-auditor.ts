import type { EventCatalog } from '../domain/catalog.ts';
import { acceptEvents } from '../ingest/accept.ts';
import { type Clock, type EventQueue, systemClock } from '../ports/events.ts';
import type { Access, AccessAuditor } from '../ports/query.ts';

/**
 * Puts an `audit.accessed` event on the queue for every read: the reader is both entity and actor, so "what did
 * alice read" is her entity history. It travels the normal pipeline (validation, FIFO, writer), like any event, on
 * the `internal` channel: this class is the trail's own writer of these records, and no client-facing handler can
 * say `internal` (each stamps its own channel), so only it may emit `audit.accessed`.
 */
export class QueueAccessAuditor implements AccessAuditor {
  constructor(
    private readonly queue: EventQueue,
    private readonly catalog: EventCatalog,
    private readonly clock: Clock = systemClock,
  ) {}

  async record({ principal, route, filters, rows, sourceIp }: Access): Promise<void> {
    const reader = { type: 'user', id: principal.user } as const;
    const result = await acceptEvents(
      [{ type: 'audit.accessed', entity: reader, payload: { route, filters, rows } }],
      {
        catalog: this.catalog,
        receivedAt: this.clock(),
        actor: reader,
        roles: [],
        source: {
          channel: 'internal',
          principal: principal.user,
          ...(principal.clientId && { clientId: principal.clientId }),
          ...(sourceIp && { ip: sourceIp }),
        },
      },
      this.queue,
    );
    if (!result.ok)
      throw new Error(
        `audit.accessed event is invalid: ${result.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      );
  }
}
