import { z } from 'zod';
import type { Role } from '../access/principal.ts';
import { type EventCatalog, eventTypeNameSchema } from './catalog.ts';
import { CHANNELS } from './channel.ts';
import { entityIdSchema, entityRefSchema } from './entity.ts';
import { eventDigest } from './event-digest.ts';
import { eventText } from './event-text.ts';
import { uuidv7 } from './ids.ts';
import { severityNumber, severitySchema } from './severity.ts';
import { storableIssues } from './storable.ts';

/** Largest serialized event accepted: keeps every event well inside one SQS message (256 KiB). */
export const MAX_EVENT_BYTES = 64 * 1024;
/** How far ahead of the server clock a device clock may be before its events are refused. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** Older timestamps are surely a device with an unset clock. */
export const EARLIEST_OCCURRED_AT = new Date('2000-01-01T00:00:00Z');

const traceIdSchema = z.string().regex(/^[0-9a-f]{32}$/, 'traceId must be 32 lower-case hex characters (W3C trace id)');
const spanIdSchema = z.string().regex(/^[0-9a-f]{16}$/, 'spanId must be 16 lower-case hex characters (W3C span id)');
const isoInstant = z.iso.datetime({
  offset: true,
  message: 'must be an ISO-8601 timestamp with Z or an offset, e.g. 2026-05-31T23:30:00-02:00',
});

/** What a client sends. Identity (`actor`, `source`) is never taken from here: the server stamps it. */
export const eventInputSchema = z.strictObject({
  id: z.uuid({ message: 'id must be a UUID' }).optional(),
  type: eventTypeNameSchema,
  severity: severitySchema.optional(),
  occurredAt: isoInstant.optional(),
  entity: entityRefSchema,
  related: z.array(entityRefSchema).max(32).default([]),
  payload: z.record(z.string(), z.unknown()).default({}),
  traceId: traceIdSchema.optional(),
  spanId: spanIdSchema.optional(),
  causationId: z.uuid({ message: 'causationId must be the UUID of an earlier event' }).optional(),
});
export type EventInput = z.input<typeof eventInputSchema>;

export const ACTOR_TYPES = ['user', 'device', 'service'] as const;
export const actorSchema = z.strictObject({ type: z.enum(ACTOR_TYPES), id: entityIdSchema });
export type Actor = z.infer<typeof actorSchema>;

/** A stored actor key, `device:r-17` → { type: 'device', id: 'r-17' } (ids never contain ':'). */
export function parseActor(key: string): Actor {
  const at = key.indexOf(':');
  return { type: key.slice(0, at) as Actor['type'], id: key.slice(at + 1) };
}

export { CHANNELS };
export const sourceSchema = z.strictObject({
  channel: z.enum(CHANNELS),
  /** The authenticated principal: the token's user or the IoT thing name (internal: the user whose request it records). */
  principal: z.string().min(1).max(256),
  clientId: z.string().max(256).optional(),
  ip: z.string().max(64).optional(),
});
export type Source = z.infer<typeof sourceSchema>;
const stampedIdentitySchema = z.strictObject({ actor: actorSchema, source: sourceSchema });

/** An accepted event as it travels on the queue and is stored. Timestamps are UTC ISO strings. */
export const storedEventSchema = z.strictObject({
  id: z.uuid(),
  type: eventTypeNameSchema,
  severity: severitySchema,
  occurredAt: z.iso.datetime(),
  receivedAt: z.iso.datetime(),
  entity: entityRefSchema,
  related: z.array(entityRefSchema),
  actor: actorSchema,
  source: sourceSchema,
  payload: z.record(z.string(), z.unknown()),
  traceId: traceIdSchema.optional(),
  spanId: spanIdSchema.optional(),
  causationId: z.uuid().optional(),
});
export type StoredEvent = z.infer<typeof storedEventSchema>;

/** One problem with one event of a request: which event, which field, why. */
export interface EventIssue {
  index: number;
  path: string;
  message: string;
}

export interface IngestContext {
  actor: Actor;
  /** Its channel is the one the handler is wired to: with `roles`, it decides which types may be emitted. */
  source: Source;
  /** The roles of the credential (a device connection: `device`); the internal channel needs none. */
  roles: readonly Role[];
  receivedAt: Date;
  catalog: EventCatalog;
  newId?: (nowMs: number) => string;
}

/** `idConflict`: the only problems are ids used twice in the request for different events. */
export type ValidationResult =
  | { ok: true; events: StoredEvent[] }
  | { ok: false; issues: EventIssue[]; idConflict: boolean };

const SERVER_STAMPED = ['actor', 'source', 'receivedAt'] as const;

function formatPath(prefix: string, path: readonly PropertyKey[]): string {
  return [prefix, ...path.map(String)].filter(Boolean).join('.');
}

/** What every event of a request shares, worked out once per request rather than per event. */
interface PreparedContext {
  ctx: IngestContext;
  receivedAt: string;
  receivedMs: number;
  /** Problems of the stamped identity, which every event of the request carries. */
  identityIssues: { path: string; message: string }[];
}

function prepare(ctx: IngestContext): PreparedContext {
  // The stamped identity comes from credentials and the connection, not the body: it must be storable too, and be
  // what the writer's schema takes (a user name with a space would be accepted here and dead-lettered there).
  const stamped = { actor: ctx.actor, source: ctx.source };
  const identityIssues = storableIssues(stamped);
  if (identityIssues.length === 0) {
    const identity = stampedIdentitySchema.safeParse(stamped);
    if (!identity.success)
      identityIssues.push(
        ...identity.error.issues.map((issue) => ({ path: formatPath('', issue.path), message: issue.message })),
      );
  }
  return { ctx, receivedAt: ctx.receivedAt.toISOString(), receivedMs: ctx.receivedAt.getTime(), identityIssues };
}

/**
 * Validates one raw event; returns the stored form or the list of its problems. What the store cannot hold (NUL, lone
 * surrogates, non-characters, too deep, too long: core/domain/storable.ts) is refused first, before anything walks
 * or serializes the event.
 */
export function validateEvent(raw: unknown, index: number, ctx: IngestContext): StoredEvent | EventIssue[] {
  return validateOne(raw, index, prepare(ctx));
}

function validateOne(raw: unknown, index: number, prepared: PreparedContext): StoredEvent | EventIssue[] {
  const { ctx } = prepared;
  const unstorable = storableIssues(raw);
  if (unstorable.length > 0) return unstorable.map((issue) => ({ index, ...issue }));
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const claimed = SERVER_STAMPED.filter((key) => key in raw);
    if (claimed.length > 0) {
      return claimed.map((key) => ({
        index,
        path: key,
        message: `${key} is stamped by the server from the connection or credentials and may not be sent`,
      }));
    }
  }
  const parsed = eventInputSchema.safeParse(raw);
  if (!parsed.success) {
    return parsed.error.issues.map((issue) => ({
      index,
      path: formatPath('', issue.path) || '(event)',
      message: issue.message,
    }));
  }
  const input = parsed.data;
  const definition = ctx.catalog.get(input.type);
  if (!definition) {
    return [
      { index, path: 'type', message: `unknown event type "${input.type}" (register it with EXTRA_EVENT_TYPES)` },
    ];
  }
  const payload = definition.payload.safeParse(input.payload);
  if (!payload.success) {
    return payload.error.issues.map((issue) => ({
      index,
      path: formatPath('payload', issue.path),
      message: issue.message,
    }));
  }
  const issues: EventIssue[] = [];
  if (input.id !== undefined && input.occurredAt === undefined) {
    // occurredAt is part of what makes a resend the same event: a retry stamped with a new receive time would conflict.
    issues.push({
      index,
      path: 'occurredAt',
      message: 'is required when id is given, so that a retried event is recognised as the same event',
    });
  }
  const occurredMs = input.occurredAt ? Date.parse(input.occurredAt) : prepared.receivedMs;
  if (occurredMs > prepared.receivedMs + MAX_CLOCK_SKEW_MS) {
    issues.push({
      index,
      path: 'occurredAt',
      message: `is more than ${MAX_CLOCK_SKEW_MS / 60000} minutes after the server clock (${prepared.receivedAt})`,
    });
  }
  if (occurredMs < EARLIEST_OCCURRED_AT.getTime()) {
    issues.push({
      index,
      path: 'occurredAt',
      message: `is before ${EARLIEST_OCCURRED_AT.toISOString()}: is the device clock set?`,
    });
  }
  const event: StoredEvent = {
    id: input.id ?? (ctx.newId ?? uuidv7)(prepared.receivedMs),
    type: input.type,
    severity: input.severity ?? definition.defaultSeverity,
    occurredAt: input.occurredAt ? new Date(occurredMs).toISOString() : prepared.receivedAt,
    receivedAt: prepared.receivedAt,
    entity: input.entity,
    related: input.related,
    actor: ctx.actor,
    source: ctx.source,
    payload: payload.data,
    ...(input.traceId && { traceId: input.traceId }),
    ...(input.spanId && { spanId: input.spanId }),
    ...(input.causationId && { causationId: input.causationId }),
  };
  for (const issue of prepared.identityIssues)
    issues.push({ index, path: issue.path, message: `${issue.message} (stamped from the credentials or connection)` });
  const bytes = Buffer.byteLength(eventText(event));
  if (bytes > MAX_EVENT_BYTES)
    issues.push({ index, path: '(event)', message: `is ${bytes} bytes; the limit is ${MAX_EVENT_BYTES}` });
  return issues.length > 0 ? issues : event;
}

/**
 * Validates a request's events all-or-nothing: every problem of every event is reported, or all events are returned.
 * An id names one event (core/domain/event-digest.ts): the same id twice in one request is refused, as a conflict
 * (`idConflict`, HTTP 409) when the two events differ, as an invalid request when they are the same event sent twice.
 */
export function validateEvents(raws: readonly unknown[], ctx: IngestContext): ValidationResult {
  const events: StoredEvent[] = [];
  const issues: EventIssue[] = [];
  let conflicts = 0;
  // By the id as PostgreSQL compares uuids: case does not make another id.
  const seen = new Map<string, { index: number; event: StoredEvent }>();
  const prepared = prepare(ctx);
  raws.forEach((raw, index) => {
    const result = validateOne(raw, index, prepared);
    if (Array.isArray(result)) {
      issues.push(...result);
      return;
    }
    const key = result.id.toLowerCase();
    const earlier = seen.get(key);
    // Digests only for a repeated id: most requests have none, and a digest costs a canonical JSON and a SHA-256.
    if (earlier === undefined) seen.set(key, { index, event: result });
    else if (eventDigest(earlier.event) === eventDigest(result)) {
      issues.push({
        index,
        path: 'id',
        message: `repeats event ${earlier.index} of this request (same id ${result.id}, same content): send it once`,
      });
    } else {
      conflicts++;
      issues.push({
        index,
        path: 'id',
        message: `${result.id} is also the id of event ${earlier.index} of this request, with different content: an id names one event`,
      });
    }
    events.push(result);
  });
  if (issues.length === 0) return { ok: true, events };
  return { ok: false, issues, idConflict: conflicts === issues.length };
}

export { severityNumber };
