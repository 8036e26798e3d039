import { z } from 'zod';
import { entityIdSchema } from '../domain/entity.ts';
import { MAX_REQUEST_BYTES, MAX_REQUEST_EVENTS } from './http-body.ts';

/**
 * What the IoT topic rule hands the ingest function. `encode(*, 'base64')` encodes the message's raw bytes (JSON or
 * not) as one string value, so the device's own keys can never meet the fields the rule adds: `topic(2)` (the thing
 * name, which the IoT policy ties to the connection), `clientid()` (the MQTT client id of the connection) and
 * `timestamp()` (the rules engine's clock, epoch milliseconds). `encode` needs SQL version 2016-03-23.
 */
export const IOT_RULE_SQL =
  "SELECT encode(*, 'base64') AS payload, topic(2) AS thing, clientid() AS clientId, timestamp() AS receivedAt FROM 'audit/+/events'";
export const IOT_RULE_SQL_VERSION = '2016-03-23';
export const IOT_TOPIC_FILTER = 'audit/+/events';

/**
 * The rule event, exactly: nothing else can be in it. `clientId` is optional because the rules engine leaves out a
 * field whose value is undefined (and the local stand-in cannot tell it on an external broker).
 */
export const iotRuleEventSchema = z.strictObject({
  payload: z.base64(),
  thing: entityIdSchema,
  clientId: z.string().max(256).optional(),
  receivedAt: z.number().int().nonnegative(),
});
export type IotRuleEvent = z.infer<typeof iotRuleEventSchema>;

export type IotMessage =
  | { ok: true; thing: string; clientId?: string; receivedAt: Date; events: unknown[] }
  | { ok: false; error: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a rule event: identity and time from the rule's fields only, the events from the device's decoded payload
 * (one event object, or `{ "events": [ … ] }` for several). Anything malformed is a rejection naming what and why.
 */
export function readIotRuleEvent(input: unknown): IotMessage {
  const parsed = iotRuleEventSchema.safeParse(input);
  if (!parsed.success) return { ok: false, error: describeRuleEventError(input, parsed.error) };
  const { payload, thing, clientId, receivedAt } = parsed.data;

  const bytes = Buffer.from(payload, 'base64');
  if (bytes.length === 0)
    return { ok: false, error: 'the device payload is empty: send one event, or {"events": [...]}' };
  // The same limits as one POST /events: a device may not get in one message what a request could not.
  if (bytes.length > MAX_REQUEST_BYTES)
    return {
      ok: false,
      error: `the device payload is ${bytes.length} bytes; the limit is ${MAX_REQUEST_BYTES} (1 MiB), as for POST /events`,
    };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, error: `the device payload (${bytes.length} bytes) is not UTF-8 text: send JSON` };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `the device payload is not JSON: ${(error as Error).message}` };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return {
      ok: false,
      error: `the device payload must be a JSON object (one event, or {"events": [...]}), not ${describeJson(body)}`,
    };
  }
  const batch = (body as Record<string, unknown>)['events'];
  const events = Array.isArray(batch) && Object.keys(body).length === 1 ? batch : [body];
  if (events.length === 0) return { ok: false, error: 'the device payload holds no events ({"events": []})' };
  if (events.length > MAX_REQUEST_EVENTS)
    return {
      ok: false,
      error: `the device payload holds ${events.length} events; the limit is ${MAX_REQUEST_EVENTS} per message, as for POST /events`,
    };
  return {
    ok: true,
    thing,
    ...(clientId !== undefined && clientId !== '' && { clientId }),
    receivedAt: new Date(receivedAt),
    events,
  };
}

/** The first thing wrong with a rule event, in the terms of the rule SQL. */
function describeRuleEventError(input: unknown, error: z.ZodError): string {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    return `the rule event is not an object (got ${describeJson(input)})`;
  const fields = input as Record<string, unknown>;
  const extra = error.issues.find((issue) => issue.code === 'unrecognized_keys');
  if (extra && extra.code === 'unrecognized_keys')
    return `the rule event has fields the rule SQL does not add (${extra.keys.join(', ')}): is the deployed rule ${JSON.stringify(IOT_RULE_SQL)}?`;
  const field = error.issues[0]?.path[0];
  switch (field) {
    case 'thing':
      return `the topic does not name a valid thing (got ${JSON.stringify(fields['thing'])})`;
    case 'receivedAt':
      return `the rule did not add receivedAt (timestamp(), epoch milliseconds); got ${JSON.stringify(fields['receivedAt'])}`;
    case 'payload':
      return fields['payload'] === undefined
        ? "the rule did not add payload (encode(*, 'base64'))"
        : `payload is not base64 (the rule adds encode(*, 'base64') of the device's bytes); got ${describeJson(fields['payload'])}`;
    case 'clientId':
      return `the rule's clientId (clientid()) is not a string of at most 256 characters; got ${describeJson(fields['clientId'])}`;
    default:
      return `the rule event is malformed: ${error.issues[0]?.message ?? 'unknown problem'}`;
  }
}

function describeJson(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'string')
    return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/** audit/<thing>/events → thing, or undefined for any other topic. */
export function thingFromTopic(topic: string): string | undefined {
  const parts = topic.split('/');
  return parts.length === 3 && parts[0] === 'audit' && parts[2] === 'events' && parts[1] ? parts[1] : undefined;
}

/** Whether the rule's topic filter `audit/+/events` matches the topic (`+` matches an empty level too). */
export function matchesRuleTopic(topic: string): boolean {
  const parts = topic.split('/');
  return parts.length === 3 && parts[0] === 'audit' && parts[2] === 'events';
}
