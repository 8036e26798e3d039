import { describe, expect, it } from 'vitest';
import { createIngestHttpHandler } from '../../shared/apps/ingest-http.ts';
import { createIngestIotHandler } from '../../shared/apps/ingest-iot.ts';
import { createCatalog } from '../../shared/core/domain/catalog.ts';
import {
  MAX_KEY_CHARACTERS,
  MAX_NESTING_DEPTH,
  MAX_STORABLE_ISSUES,
  MAX_STRING_CHARACTERS,
  storableIssues,
} from '../../shared/core/domain/storable.ts';
import { escapeForQueue } from '../../shared/core/ingest/packing.ts';
import { operatorPost } from '../support/http-events.ts';
import { recordingQueue } from '../support/recording-queue.ts';

function http() {
  const queue = recordingQueue();
  const handle = createIngestHttpHandler({
    queue,
    catalog: createCatalog(),
    clock: () => new Date('2026-05-10T12:00:00Z'),
  });
  return {
    queue,
    async send(body: string | Buffer, contentType?: string) {
      const response = await handle(operatorPost(body, contentType));
      return { status: response.statusCode, body: JSON.parse(response.body as string) };
    },
  };
}

function iot() {
  const queue = recordingQueue();
  const handle = createIngestIotHandler({ queue, catalog: createCatalog() });
  return {
    queue,
    send: (text: string) =>
      handle({
        payload: Buffer.from(text).toString('base64'),
        thing: 'r-17',
        clientId: 'r-17-conn',
        receivedAt: Date.parse('2026-05-10T12:00:00Z'),
      }),
  };
}

const ok = { type: 'robot.online', entity: { type: 'robot', id: 'r-17' } };
/** JSON text of an event whose payload is given as JSON text, so that escapes like \u0000 reach the parser as sent. */
const withPayload = (payloadJson: string, event: object = ok) =>
  `${JSON.stringify(event).slice(0, -1)},"payload":${payloadJson}}`;
const matching = (message: string | RegExp) => (typeof message === 'string' ? message : expect.stringMatching(message));
const nested = (levels: number) => `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;

/** Every refusal: the JSON text sent, where and why it is refused. */
const REFUSALS: [string, string, string, string | RegExp][] = [
  ['NUL in a payload string', withPayload('{"note":"a\\u0000b"}'), 'payload.note', /U\+0000 \(NUL\) at character 1/],
  ['NUL in a payload key', withPayload('{"x\\u0000":1}'), 'payload["x\\u0000"]', /^the key contains U\+0000/],
  [
    'NUL deep in an array',
    withPayload('{"a":[0,1,2,{"b":"\\u0000"}]}'),
    'payload.a[3].b',
    'contains U+0000 (NUL) at character 0, which PostgreSQL cannot store',
  ],
  ['NUL in the type', JSON.stringify({ ...ok, type: 'robot.online\u0000' }), 'type', /U\+0000/],
  ['NUL in the entity id', JSON.stringify({ ...ok, entity: { type: 'robot', id: 'r\u0000' } }), 'entity.id', /U\+0000/],
  [
    'NUL in a related entity',
    JSON.stringify({
      ...ok,
      related: [
        { type: 'bay', id: 'b-1' },
        { type: 'bay', id: '\u0000' },
      ],
    }),
    'related[1].id',
    /U\+0000/,
  ],
  ['a lone high surrogate', withPayload('{"s":"ab\\ud83d"}'), 'payload.s', /lone surrogate U\+D83D at character 2/],
  ['a lone low surrogate', withPayload('{"s":"\\ude00x"}'), 'payload.s', /lone surrogate U\+DE00 at character 0/],
  ['a lone surrogate in a key', withPayload('{"\\udc00":true}'), 'payload["\\udc00"]', /^the key contains a lone/],
  ['U+FFFE', withPayload('{"s":"\\ufffe"}'), 'payload.s', /non-character U\+FFFE/],
  ['U+FFFF', withPayload('{"s":"\\uffff"}'), 'payload.s', /non-character U\+FFFF/],
  ['U+FDD0', withPayload('{"s":"\\ufdd0"}'), 'payload.s', /non-character U\+FDD0/],
  ['U+1FFFE', withPayload('{"s":"\\ud83f\\udffe"}'), 'payload.s', /non-character U\+1FFFE/],
  ['U+10FFFF', withPayload('{"s":"\\udbff\\udfff"}'), 'payload.s', /non-character U\+10FFFF/],
  ['an infinite number', withPayload('{"n":1e400}'), 'payload.n', /too large for a double/],
  ['a __proto__ key', withPayload('{"__proto__":{"x":1}}'), 'payload.__proto__', /__proto__/],
  [
    `nesting deeper than ${MAX_NESTING_DEPTH} levels`,
    withPayload(nested(MAX_NESTING_DEPTH + 1)),
    `payload${'.a'.repeat(MAX_NESTING_DEPTH)}`,
    `nests deeper than ${MAX_NESTING_DEPTH} levels (counted from the event; the payload is level 1)`,
  ],
  [
    'an array 100,000 levels deep',
    withPayload(`{"deep":${'['.repeat(100_000)}${']'.repeat(100_000)}}`),
    `payload.deep${'[0]'.repeat(MAX_NESTING_DEPTH - 1)}`,
    /nests deeper than/,
  ],
  [
    `a string over ${MAX_STRING_CHARACTERS} characters`,
    JSON.stringify({ ...ok, payload: { s: '😀'.repeat(MAX_STRING_CHARACTERS + 1) } }),
    'payload.s',
    `is a string of ${MAX_STRING_CHARACTERS + 1} characters; the limit is ${MAX_STRING_CHARACTERS}`,
  ],
  [
    `a key over ${MAX_KEY_CHARACTERS} characters`,
    JSON.stringify({ ...ok, payload: { ['k'.repeat(MAX_KEY_CHARACTERS + 1)]: 1 } }),
    `payload.${'k'.repeat(MAX_KEY_CHARACTERS + 1)}`,
    `the key is ${MAX_KEY_CHARACTERS + 1} characters long; the limit is ${MAX_KEY_CHARACTERS}`,
  ],
];

describe('storable or refused, over HTTP: 400 with index, path and reason, nothing queued', () => {
  it.each(REFUSALS)('%s', async (_, event, path, message) => {
    const { queue, send } = http();
    const response = await send(`[${JSON.stringify(ok)},${event}]`);
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('1 of 2 events are invalid; nothing was accepted');
    expect(response.body.issues).toEqual([{ index: 1, path, message: matching(message) }]);
    expect(queue.messages).toEqual([]);
  });

  it('refuses the same in NDJSON, naming the line’s event', async () => {
    const { send } = http();
    const response = await send(`${JSON.stringify(ok)}\n${withPayload('{"x":"\\u0000"}')}\n`, 'application/x-ndjson');
    expect(response.status).toBe(400);
    expect(response.body.issues).toEqual([{ index: 1, path: 'payload.x', message: expect.stringMatching(/NUL/) }]);
  });

  it('refuses a body 500,000 arrays deep (1 MiB) with 400, not 5xx', async () => {
    const { send } = http();
    const response = await send(`${'['.repeat(500_000)}${']'.repeat(500_000)}`);
    expect(response.status).toBe(400);
    expect(response.body.issues).toEqual([
      {
        index: 0,
        path: `(event)${'[0]'.repeat(MAX_NESTING_DEPTH + 1)}`,
        message: expect.stringMatching(/nests deeper/),
      },
    ]);
  });

  it('refuses a payload nested 6,000 levels (jsonb’s stack-depth error, answered 503 before) with 400', async () => {
    const { send } = http();
    const response = await send(withPayload(nested(6000)));
    expect(response.status).toBe(400);
    expect(response.body.issues).toHaveLength(1);
    expect(response.body.issues[0].message).toMatch(/nests deeper than 32 levels/);
  });

  it('refuses a body that is not UTF-8 with 400', async () => {
    const { send } = http();
    const bytes = Buffer.concat([Buffer.from(withPayload('{"s":"')), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]);
    const response = await send(bytes);
    expect(response).toEqual({
      status: 400,
      body: { error: `the body (${bytes.length} bytes) is not UTF-8 text: send JSON in UTF-8` },
    });
  });

  it(`reports at most ${MAX_STORABLE_ISSUES} problems of one event`, async () => {
    const { send } = http();
    const many = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, '\u0000']));
    const response = await send(JSON.stringify({ ...ok, payload: many }));
    expect(response.status).toBe(400);
    expect(response.body.issues).toHaveLength(MAX_STORABLE_ISSUES);
    expect(response.body.issues[9]).toMatchObject({ index: 0, path: 'payload.k9' });
  });

  it(`accepts what is storable: emoji, other planes, control characters, ${MAX_NESTING_DEPTH} levels, the longest string and key`, async () => {
    const { queue, send } = http();
    const payload = {
      emoji: '😀 🤖 👩‍🔧',
      planes: '\u{10000}\u{1D11E}\u{20000}\u{E0001}\u{10FFFD}',
      edges: '\uFFFD\uE000\uD7FF\uFDCF\uFDF0\t\n\r\u0001\u001f\u007f\u0085',
      '😀 key\u0001': 1,
      // The limit counts characters: MAX_STRING_CHARACTERS of them, one more UTF-16 unit.
      long: `${'x'.repeat(MAX_STRING_CHARACTERS - 1)}😀`,
      ['k'.repeat(MAX_KEY_CHARACTERS)]: true,
      numbers: [0, -1.5, 1e308, 5e-324, 9007199254740991],
    };
    const deep = JSON.parse(nested(MAX_NESTING_DEPTH - 1));
    const response = await send(
      JSON.stringify([
        { ...ok, payload },
        { ...ok, payload: { deep } },
      ]),
    );
    expect(response).toMatchObject({ status: 202, body: { accepted: 2 } });
    const [first, second] = queue.events();
    expect(first!.payload).toEqual(payload);
    expect(second!.payload).toEqual({ deep });
    // The queue body holds nothing above U+FFFD, and is the same JSON.
    for (const message of queue.messages) expect(message.body).toMatch(/^[\t\n\r\u0020-\ud7ff\ue000-\ufffd]*$/);
  });
});

describe('storable or refused, over MQTT: the message is rejected with the reason', () => {
  it.each(REFUSALS)('%s', async (_, event, path, message) => {
    const { queue, send } = iot();
    const result = await send(`{"events":[${JSON.stringify(ok)},${event}]}`);
    expect(result).toEqual({
      rejected: '2 event(s) from r-17 refused',
      issues: [{ index: 1, path, message: matching(message) }],
    });
    expect(queue.messages).toEqual([]);
  });

  it('accepts emoji', async () => {
    const { queue, send } = iot();
    expect(await send(JSON.stringify({ ...ok, payload: { reason: 'boot 🚀' } }))).toEqual({
      accepted: [expect.any(String)],
    });
    expect(queue.events()[0]!.payload).toEqual({ reason: 'boot 🚀' });
  });
});

describe('storableIssues', () => {
  it('checks the identity stamped from credentials too', async () => {
    const queue = recordingQueue();
    const handle = createIngestHttpHandler({ queue, catalog: createCatalog() });
    const request = operatorPost(JSON.stringify(ok));
    request.requestContext.authorizer.jwt.claims['cognito:username'] = 'al\u0000ice';
    const response = await handle(request);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body as string).issues).toEqual([
      { index: 0, path: 'actor.id', message: expect.stringMatching(/NUL.*stamped from the credentials/) },
      { index: 0, path: 'source.principal', message: expect.stringMatching(/NUL.*stamped from the credentials/) },
    ]);
  });

  it('refuses an identity the writer would refuse (a user name with a space), instead of accepting it', async () => {
    const queue = recordingQueue();
    const handle = createIngestHttpHandler({ queue, catalog: createCatalog() });
    const request = operatorPost(JSON.stringify(ok));
    request.requestContext.authorizer.jwt.claims['cognito:username'] = 'alice smith';
    const response = await handle(request);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body as string).issues).toEqual([
      {
        index: 0,
        path: 'actor.id',
        message:
          'entity id must be 1-128 characters with no whitespace and no ":" (stamped from the credentials or connection)',
      },
    ]);
    expect(queue.messages).toEqual([]);
  });

  it('shortens a long key in a path', () => {
    const key = `${'é'.repeat(100)}\u0000`;
    expect(storableIssues({ [key]: 1 })).toEqual([
      {
        path: `(event)[${JSON.stringify(`${'é'.repeat(64)}…`)}]`,
        message: expect.stringMatching(/NUL\) at character 100/),
      },
    ]);
  });

  it('escapeForQueue writes characters above U+FFFF as surrogate escapes that JSON.parse restores', () => {
    const json = JSON.stringify({ 'k😀': 'a😀b\u{10FFFD}', plain: 'é\uFFFD' });
    const escaped = escapeForQueue(json);
    expect(escaped).toBe('{"k\\ud83d\\ude00":"a\\ud83d\\ude00b\\udbff\\udffd","plain":"é\uFFFD"}');
    expect(JSON.parse(escaped)).toEqual(JSON.parse(json));
  });
});
