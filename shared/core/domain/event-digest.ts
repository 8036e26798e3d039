import { createHash } from 'node:crypto';
import { canonicalize } from '../tamper/canonical-json.ts';
import type { EntityRef } from './entity.ts';

/** The fields of a stored event (core/domain/event.ts) the digest reads; declared here, as event.ts imports this. */
export interface DigestedEvent {
  type: string;
  severity: string;
  occurredAt: string;
  entity: EntityRef;
  related: readonly EntityRef[];
  actor: { type: string; id: string };
  source: { channel: string; principal: string };
  payload: Record<string, unknown>;
  traceId?: string | undefined;
  spanId?: string | undefined;
  causationId?: string | undefined;
}

/**
 * What makes two events with one id the same event: everything the sender defined and who sent it. An id names one
 * event, forever; a second event under a used id is a resend (same digest) or a conflict (another digest).
 *
 * Left out is what the system stamps per receive or per connection, which a faithful retry may change: `receivedAt`,
 * and `source.clientId` and `source.ip` (a device reconnects with another client id, a client retries from another
 * address). The principal is in: another user or device reusing an id is a conflict, not a resend.
 *
 * The store compares the same fields with its SQL function `audit_event_digest` (migration 008), over the values as
 * PostgreSQL holds them (`jsonb` payload), so that a month's backfilled ids compare exactly.
 * test/store/event-ids.int.test.ts checks that the two call the same pairs of events the same.
 */
export function eventContent(event: DigestedEvent): unknown[] {
  return [
    event.entity.type,
    event.entity.id,
    event.type,
    event.severity,
    Date.parse(event.occurredAt),
    event.related,
    `${event.actor.type}:${event.actor.id}`,
    event.source.channel,
    event.source.principal,
    event.payload,
    event.traceId ?? null,
    event.spanId ?? null,
    event.causationId?.toLowerCase() ?? null,
  ];
}

/** SHA-256 (hex) of the event's content as canonical JSON (object keys sorted, no spaces). */
export function eventDigest(event: DigestedEvent): string {
  return createHash('sha256')
    .update(canonicalJson(eventContent(event)))
    .digest('hex');
}

/**
 * JSON with every object's keys in code-unit order, so equal values give equal text whatever order keys came in:
 * RFC 8785 canonical JSON, whose one implementation is core/tamper/canonical-json.ts (the log's leaves use it too).
 */
export const canonicalJson = canonicalize;
