import { randomUUID } from 'node:crypto';
import { pick, type Random } from '../bench/events.ts';
import { MAX_EVENT_BYTES } from '../shared/core/domain/event.ts';
import { MAX_KEY_CHARACTERS, MAX_NESTING_DEPTH, MAX_STRING_CHARACTERS } from '../shared/core/domain/storable.ts';
import { MAX_REQUEST_BYTES, MAX_REQUEST_EVENTS } from '../shared/core/ingest/http-body.ts';

/**
 * Inputs the trail must refuse with a 4xx (HTTP) or refuse without storing (MQTT), whatever else is going on. Each
 * names what is wrong with it; `ids` are the ids it carries (valid events mixed into a refused request included):
 * none of them may ever be stored.
 */
export interface BadInput {
  what: string;
  contentType: string;
  body: Buffer;
  ids: string[];
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** A valid event with a client id: mixed into a bad request, it must be refused with it (all or nothing). */
function valid(random: Random, ids: string[], extra: Record<string, unknown> = {}) {
  const id = randomUUID();
  ids.push(id);
  return {
    id,
    type: 'sensor.battery.low',
    occurredAt: new Date(Date.now() - Math.floor(random() * 60_000)).toISOString(),
    entity: { type: 'sensor', id: `s-bad-${Math.floor(random() * 8)}` },
    payload: { level: Math.floor(random() * 100) },
    ...extra,
  };
}

const nested = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { n: value };
  return value;
};

const LONE_SURROGATES = ['\ud800', '\udbff', '\udc00', '\udfff'];
const NON_CHARACTERS = ['\ufffe', '\uffff', '\ufdd0', '\ufdef', '\u{1fffe}', '\u{10ffff}'];

/** One kind of bad event: `mutate` makes a valid event invalid. */
type EventDefect = [what: string, mutate: (event: Record<string, unknown>, random: Random) => void];

const EVENT_DEFECTS: EventDefect[] = [
  ['NUL in a payload string', (e) => (e.payload = { level: 1, note: `a\u0000b` })],
  ['NUL in a payload key', (e) => (e.payload = { level: 1, 'k\u0000': 1 })],
  ['NUL in the entity id', (e) => (e.entity = { type: 'sensor', id: 's-\u0000' })],
  ['lone surrogate in a string', (e, r) => (e.payload = { level: 1, note: `x${pick(r, LONE_SURROGATES)}y` })],
  ['lone surrogate in a key', (e, r) => (e.payload = { level: 1, [`k${pick(r, LONE_SURROGATES)}`]: 1 })],
  ['non-character in a string', (e, r) => (e.payload = { level: 1, note: pick(r, NON_CHARACTERS) })],
  ['non-character in the entity id', (e, r) => (e.entity = { type: 'sensor', id: `s${pick(r, NON_CHARACTERS)}` })],
  [
    'nesting past the limit',
    (e, r) => (e.payload = { level: 1, deep: nested(MAX_NESTING_DEPTH + Math.floor(r() * 2000)) }),
  ],
  ['string past the limit', (e) => (e.payload = { level: 1, note: 'x'.repeat(MAX_STRING_CHARACTERS + 1) })],
  ['key past the limit', (e) => (e.payload = { level: 1, ['k'.repeat(MAX_KEY_CHARACTERS + 1)]: 1 })],
  [
    'event past 64 KiB',
    (e) =>
      (e.payload = Object.fromEntries(
        Array.from({ length: Math.ceil(MAX_EVENT_BYTES / 9000) + 1 }, (_, i) => [`f${i}`, 'y'.repeat(9000)]),
      )),
  ],
  ['type is a number', (e) => (e.type = 42)],
  ['unknown event type', (e) => (e.type = 'chaos.never.registered')],
  ['entity is a string', (e) => (e.entity = 'sensor:s-1')],
  ['entity id with a colon', (e) => (e.entity = { type: 'sensor', id: 'a:b' })],
  ['payload is an array', (e) => (e.payload = [1, 2])],
  ['payload field of the wrong type', (e) => (e.payload = { level: 'low' })],
  ['payload out of range', (e) => (e.payload = { level: 101 })],
  ['severity unknown', (e) => (e.severity = 'LOUD')],
  ['occurredAt not a timestamp', (e) => (e.occurredAt = 'yesterday')],
  ['occurredAt in the far future', (e) => (e.occurredAt = '2999-01-01T00:00:00Z')],
  ['occurredAt before 2000', (e) => (e.occurredAt = '1999-12-31T23:59:59Z')],
  ['id not a UUID', (e) => (e.id = 'not-a-uuid')],
  ['id is a number', (e) => (e.id = 7)],
  ['id without occurredAt', (e) => delete e.occurredAt],
  ['causationId not a UUID', (e) => (e.causationId = 'x')],
  ['traceId not hex', (e) => (e.traceId = 'Z'.repeat(32))],
  ['unknown top-level field', (e) => (e.colour = 'red')],
  ['actor claimed by the client', (e) => (e.actor = { type: 'user', id: 'root' })],
  ['receivedAt claimed by the client', (e) => (e.receivedAt = new Date().toISOString())],
  ['related is an object', (e) => (e.related = { type: 'sensor', id: 's-1' })],
  ['__proto__ key', (e) => (e.payload = JSON.parse('{"level":1,"__proto__":{"x":1}}'))],
  ['event is null', () => undefined],
];

function badEvent(random: Random, ids: string[]): { what: string; event: unknown } {
  const [what, mutate] = pick(random, EVENT_DEFECTS);
  if (what === 'event is null') return { what, event: null };
  const event = valid(random, ids);
  mutate(event, random);
  return { what, event };
}

/** Whole-request defects: the body itself is wrong. */
const BODY_DEFECTS: [what: string, make: (random: Random, ids: string[]) => Omit<BadInput, 'what' | 'ids'>][] = [
  ['truncated JSON', (r, ids) => ({ contentType: 'application/json', body: json([valid(r, ids)]).subarray(0, 20) })],
  [
    'trailing comma',
    (r, ids) => ({ contentType: 'application/json', body: Buffer.from(`[${JSON.stringify(valid(r, ids))},]`) }),
  ],
  [
    'random bytes',
    (r) => ({
      contentType: 'application/json',
      body: Buffer.from(Array.from({ length: 64 }, () => Math.floor(r() * 256))),
    }),
  ],
  [
    'invalid UTF-8',
    (r, ids) => ({
      contentType: 'application/json',
      body: Buffer.concat([json(valid(r, ids)).subarray(0, 30), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]),
    }),
  ],
  ['overlong UTF-8 NUL', () => ({ contentType: 'application/json', body: Buffer.from([0x22, 0xc0, 0x80, 0x22]) })],
  [
    'a number 1e400',
    (r, ids) => ({
      contentType: 'application/json',
      body: Buffer.from(JSON.stringify(valid(r, ids)).replace(/"level":\d+/, '"level":1e400')),
    }),
  ],
  [
    'escaped lone surrogate in JSON text',
    (r, ids) => ({
      contentType: 'application/json',
      body: Buffer.from(JSON.stringify(valid(r, ids)).replace(/}$/, ',"payload":{"level":1,"n":"\\ud83d"}}')),
    }),
  ],
  ['empty body', () => ({ contentType: 'application/json', body: Buffer.alloc(0) })],
  ['empty array', () => ({ contentType: 'application/json', body: Buffer.from('[]') })],
  ['JSON string, not an event', () => ({ contentType: 'application/json', body: Buffer.from('"hello"') })],
  ['unsupported content type', (r, ids) => ({ contentType: 'text/plain', body: json(valid(r, ids)) })],
  [
    'NDJSON with a bad line',
    (r, ids) => ({
      contentType: 'application/x-ndjson',
      body: Buffer.from(`${JSON.stringify(valid(r, ids))}\n{oops\n`),
    }),
  ],
  [
    'array nested 200,000 deep',
    () => ({ contentType: 'application/json', body: Buffer.from(`${'['.repeat(200_000)}${']'.repeat(200_000)}`) }),
  ],
  [
    'the same id twice in a request',
    (r, ids) => {
      const event = valid(r, ids);
      return { contentType: 'application/json', body: json([event, { ...event, payload: { level: 2 } }]) };
    },
  ],
];

/** Rare (they are big): a body past 1 MiB, a request past 1,000 events. */
const HUGE_DEFECTS: typeof BODY_DEFECTS = [
  [
    'body past 1 MiB',
    () => ({
      contentType: 'application/json',
      body: Buffer.from(JSON.stringify({ pad: 'z'.repeat(MAX_REQUEST_BYTES) })),
    }),
  ],
  [
    'request past 1,000 events',
    (r, ids) => ({
      contentType: 'application/json',
      body: json(Array.from({ length: MAX_REQUEST_EVENTS + 1 }, () => valid(r, ids))),
    }),
  ],
];

/** One bad HTTP request: a bad body, or a batch of valid events with one or more bad ones among them. */
export function badHttpInput(random: Random): BadInput {
  const ids: string[] = [];
  const roll = random();
  if (roll < 0.01) {
    const [what, make] = pick(random, HUGE_DEFECTS);
    return { what, ids, ...make(random, ids) };
  }
  if (roll < 0.3) {
    const [what, make] = pick(random, BODY_DEFECTS);
    return { what, ids, ...make(random, ids) };
  }
  const events: unknown[] = Array.from({ length: Math.floor(random() * 5) }, () => valid(random, ids));
  const bad = badEvent(random, ids);
  events.splice(Math.floor(random() * (events.length + 1)), 0, bad.event);
  const single = events.length === 1 && random() < 0.5;
  return { what: bad.what, ids, contentType: 'application/json', body: json(single ? events[0] : events) };
}

/** One bad device message: MQTT has no negative ack, so all that can be seen is that none of its ids is stored. */
export function badMqttInput(random: Random): BadInput {
  const ids: string[] = [];
  if (random() < 0.3) {
    const [what, make] = pick(random, BODY_DEFECTS.slice(0, 7));
    return { what, ids, ...make(random, ids) };
  }
  const bad = badEvent(random, ids);
  // Any entity may be named on a device's topic: the defect alone makes it a bad input.
  const batch = random() < 0.5 ? { events: [valid(random, ids), bad.event] } : bad.event;
  return { what: bad.what, ids, contentType: 'application/json', body: json(batch) };
}
