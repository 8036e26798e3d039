import { entityIdSchema } from '../domain/entity.ts';

/**
 * What the IoT topic rule hands the ingest function:
 * `SELECT *, topic(2) AS thing, clientid() AS clientId, timestamp() AS receivedAt FROM 'audit/+/events'`.
 * The device's payload is one event object, or `{ "events": [ … ] }` for several (a rule's `SELECT *` needs an object).
 */
export const IOT_RULE_SQL =
  "SELECT *, topic(2) AS thing, clientid() AS clientId, timestamp() AS receivedAt FROM 'audit/+/events'";
export const IOT_TOPIC_FILTER = 'audit/+/events';

export type IotRuleEvent = Record<string, unknown> & { thing?: unknown; clientId?: unknown; receivedAt?: unknown };

export type IotMessage =
  | { ok: true; thing: string; clientId?: string; receivedAt: Date; events: unknown[] }
  | { ok: false; error: string };

/** Splits the rule's additions (connection identity, server time) from what the device sent. */
export function readIotRuleEvent(input: IotRuleEvent): IotMessage {
  const { thing, clientId, receivedAt, ...payload } = input;
  const thingName = entityIdSchema.safeParse(thing);
  if (!thingName.success)
    return { ok: false, error: `the topic does not name a valid thing (got ${JSON.stringify(thing)})` };
  if (typeof receivedAt !== 'number') return { ok: false, error: 'the rule did not add receivedAt (timestamp())' };
  const events = Array.isArray(payload.events) && Object.keys(payload).length === 1 ? payload.events : [payload];
  return {
    ok: true,
    thing: thingName.data,
    ...(typeof clientId === 'string' && clientId !== '' && { clientId }),
    receivedAt: new Date(receivedAt),
    events,
  };
}

/** audit/<thing>/events → thing, or undefined for any other topic. */
export function thingFromTopic(topic: string): string | undefined {
  const parts = topic.split('/');
  return parts.length === 3 && parts[0] === 'audit' && parts[2] === 'events' && parts[1] ? parts[1] : undefined;
}
