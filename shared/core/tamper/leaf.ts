import type { StoredEvent } from '../domain/event.ts';
import { canonicalize, writeString } from './canonical-json.ts';
import { hashLeafText } from './tree-hash.ts';

/**
 * What the log commits to for one event: every stored field, in the API's JSON form (a StoredEvent as
 * adapters/postgres/event-rows.ts `rowToEvent` builds it from a row), canonical JSON (RFC 8785), behind a version tag.
 * Nothing a client sends decides anything here beyond the event's own content: the server stamped actor, source and
 * receivedAt before the event was stored, and the sealer computes the leaf from the stored row.
 */
export const LEAF_VERSION_TAG = 'fleet-audit-trail/event/v1\n';
const TAG_BYTES = Buffer.from(LEAF_VERSION_TAG, 'utf8');

/** The object whose canonical JSON is hashed; absent optional fields are absent, never null. */
export interface LeafObject {
  id: string;
  type: string;
  severity: string;
  occurredAt: string;
  receivedAt: string;
  entity: { type: string; id: string };
  related: unknown;
  actor: { type: string; id: string };
  source: { channel: string; principal: string; clientId?: string; ip?: string };
  payload: unknown;
  traceId?: string;
  spanId?: string;
  causationId?: string;
}

/**
 * The canonical leaf object of a stored event. Fields are picked one by one, so that a property that is not stored
 * cannot slip in; `related` and `payload` are taken whole, as the `jsonb` columns hold them, so that anything added
 * inside them changes the leaf too. Uuids are lower-cased and instants written as `toISOString()` (UTC, ms), the
 * forms PostgreSQL returns, so the leaf does not depend on how an equal value was spelled.
 * severity_number is left out: it is a function of severity (a CHECK constraint holds it to that).
 */
export function leafInput(event: StoredEvent): LeafObject {
  const { source } = event;
  return {
    id: event.id.toLowerCase(),
    type: event.type,
    severity: event.severity,
    occurredAt: instant(event.occurredAt),
    receivedAt: instant(event.receivedAt),
    entity: { type: event.entity.type, id: event.entity.id },
    related: event.related,
    actor: { type: event.actor.type, id: event.actor.id },
    source: {
      channel: source.channel,
      principal: source.principal,
      ...(source.clientId !== undefined && { clientId: source.clientId }),
      ...(source.ip !== undefined && { ip: source.ip }),
    },
    payload: event.payload,
    ...(event.traceId !== undefined && { traceId: event.traceId }),
    ...(event.spanId !== undefined && { spanId: event.spanId }),
    ...(event.causationId !== undefined && { causationId: event.causationId.toLowerCase() }),
  };
}

/** The bytes a leaf hashes: the version tag, then the UTF-8 of the canonical leaf object. */
export function leafBytes(event: StoredEvent): Buffer {
  return Buffer.concat([TAG_BYTES, Buffer.from(canonicalize(leafInput(event)), 'utf8')]);
}

/** SHA-256(0x00 || leafBytes): the RFC 6962 leaf hash of the event. */
export function leafHash(event: StoredEvent): Buffer {
  return hashLeafText(LEAF_VERSION_TAG + leafCanonical(event));
}

/**
 * `canonicalize(leafInput(event))`, written straight from the event: the members in their canonical (sorted) order,
 * no leaf object built and no keys sorted, for the sealer and the verifier, which write one per event. A property
 * test holds it to the definition above (test/tamper/leaf.unit.test.ts).
 */
export function leafCanonical(event: StoredEvent): string {
  const { source } = event;
  let text = `{"actor":{"id":${writeString(event.actor.id)},"type":${writeString(event.actor.type)}}`;
  if (event.causationId !== undefined) text += `,"causationId":${writeString(event.causationId.toLowerCase())}`;
  text += `,"entity":{"id":${writeString(event.entity.id)},"type":${writeString(event.entity.type)}}`;
  text += `,"id":${writeString(event.id.toLowerCase())},"occurredAt":${writeString(instant(event.occurredAt))}`;
  text += `,"payload":${canonicalize(event.payload)},"receivedAt":${writeString(instant(event.receivedAt))}`;
  text += `,"related":${canonicalize(event.related)},"severity":${writeString(event.severity)}`;
  text += `,"source":{"channel":${writeString(source.channel)}`;
  if (source.clientId !== undefined) text += `,"clientId":${writeString(source.clientId)}`;
  if (source.ip !== undefined) text += `,"ip":${writeString(source.ip)}`;
  text += `,"principal":${writeString(source.principal)}}`;
  if (event.spanId !== undefined) text += `,"spanId":${writeString(event.spanId)}`;
  if (event.traceId !== undefined) text += `,"traceId":${writeString(event.traceId)}`;
  return `${text},"type":${writeString(event.type)}}`;
}

/** `toISOString()`'s own form, which most instants already are (rowToEvent writes them so). */
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{3}Z$/;

function instant(text: string): string {
  // Already in toISOString() form and a real calendar instant: the same text comes out, without a parse and a format.
  const parts = ISO_INSTANT.exec(text);
  if (parts && isCalendarInstant(parts)) return text;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new RangeError(`"${text}" is not an ISO-8601 instant`);
  return new Date(ms).toISOString();
}

/**
 * Whether the fields are a date and time that exists (Date.parse would roll 2026-02-30 over into March). Years
 * before 100 take the slow path: Date.UTC reads them as 19xx.
 */
function isCalendarInstant([, year, month, day, hour, minute, second]: RegExpExecArray): boolean {
  const m = Number(month);
  const d = Number(day);
  const days = new Date(Date.UTC(Number(year), m, 0)).getUTCDate();
  return (
    Number(year) >= 100 &&
    m >= 1 &&
    m <= 12 &&
    d >= 1 &&
    d <= days &&
    Number(hour) < 24 &&
    Number(minute) < 60 &&
    Number(second) < 60
  );
}
